// Reads email HTML on stdin; prints what Gmail and Outlook do not support (caniemail.com data).
// Exit 0 when nothing is unsupported, 1 otherwise. Notes about partial support are printed too.
const { doIUseEmail } = require("@jsx-email/doiuse-email");

let html = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (html += chunk));
process.stdin.on("end", () => {
  const clients = (process.argv[2] || "gmail.*,outlook.*").split(",");
  const result = doIUseEmail(html, { emailClients: clients });
  process.stdout.write(JSON.stringify(result, null, 2) + "\n");
  process.exitCode = result.success ? 0 : 1; // not exit(): a pipe would lose unflushed output
});
