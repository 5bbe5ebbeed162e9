// Reads an iCalendar file on stdin and parses it with Mozilla's ical.js (Thunderbird's parser).
// Prints the calendar's events as JSON (times as UTC ISO 8601) so a test can compare them
// with what Keepwarm meant; exit 1 with the parser's message when the text does not parse.
import ICAL from "ical.js";

let text = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (text += chunk));
process.stdin.on("end", () => {
  try {
    const calendar = new ICAL.Component(ICAL.parse(text));
    if (calendar.name !== "vcalendar") throw new Error(`not a VCALENDAR but ${calendar.name}`);
    const events = calendar.getAllSubcomponents("vevent").map((component) => {
      const event = new ICAL.Event(component);
      const utc = (time) => new Date(time.toUnixTime() * 1000).toISOString();
      return {
        uid: event.uid,
        summary: event.summary,
        description: event.description,
        location: event.location,
        url: component.getFirstPropertyValue("url"),
        start: utc(event.startDate),
        end: utc(event.endDate),
      };
    });
    const name = calendar.getFirstPropertyValue("x-wr-calname");
    process.stdout.write(JSON.stringify({ name, events }, null, 2) + "\n");
  } catch (error) {
    process.stdout.write(JSON.stringify({ error: String(error) }) + "\n");
    process.exitCode = 1; // not exit(): a pipe would lose unflushed output
  }
});
