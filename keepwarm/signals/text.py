"""What free text says: a graded tone, and whether the writer means to leave the job.

Pure functions, no database, so the rules can be read, tested on plain strings and
benchmarked (bench/bench_text.py). Both run offline: the tone uses VADER's lexicon, which
ships inside the pinned vaderSentiment package; the leaving-intent phrases are curated
here and checked against keepwarm/signals/tests/data/leaving_intent.csv.

Tone
----
VADER's `compound` squashes the summed word scores into −1…1 with x/√(x²+15), so any
comment of more than a few loaded words lands near ±1 and two long answers can no longer
be told apart. `tone` is VADER's positive share minus its negative share instead: the
same lexicon, negation ("not good"), intensifiers ("really bad") and "but" handling, but
read as a balance that does not saturate with length. On the labelled fine-food reviews
(bench/bench_text.py) it separates good from poor reviews better than `compound` does.

Leaving intent
--------------
Phrases in eight categories (another agency called, an offer, notice, interviews,
"tempted", not what was promised, looking elsewhere, thinking of leaving), read one
clause at a time. A phrase does not count when:
- a negation or a refusal comes just before it in its clause ("I'm not looking
  elsewhere", "I turned down an offer"), or a later clause settles it ("but I'm staying");
- someone else is doing it ("my colleague handed in her notice");
- the clause is about something other than work ("look elsewhere for cheaper cheese",
  "gave notice to my landlord"); "tempted" needs the text to be about work at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

CATEGORIES: dict[str, str] = {
    "other_agency": "another agency called",
    "offer": "an offer elsewhere",
    "notice": "notice or resigning",
    "interviews": "interviews elsewhere",
    "tempted": "tempted to move",
    "not_as_promised": "not what was promised",
    "looking": "looking elsewhere",
    "leaving": "thinking of leaving",
}


@dataclass(frozen=True)
class LeavingIntent:
    """A phrase that says the writer may leave, as written, and what kind it is."""

    phrase: str
    category: str  # a key of CATEGORIES

    @property
    def label(self) -> str:
        return CATEGORIES[self.category]


# --- Tone --------------------------------------------------------------------------------


# Words VADER's lexicon reads as a feeling ("resigned to it") that in a recruiter's note
# are an event: "resigned and working her notice, start confirmed" is the good news before
# a start. Whether someone may leave is the leaving-intent reader's question, not tone's.
_EVENTS_NOT_FEELINGS = ("resign", "resigned", "resigning", "resignation")


@lru_cache(maxsize=1)
def _analyser() -> Any:
    # Imported lazily: loading the lexicon costs ~0.1 s, and most processes never read text.
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyser = SentimentIntensityAnalyzer()
    for word in _EVENTS_NOT_FEELINGS:
        analyser.lexicon.pop(word, None)
    return analyser


_MARKUP = re.compile(r"<br\s*/?>|<[^>]{1,20}>")


def tone(text: str) -> float:
    """−1 (all negative) … 0 (neutral or mixed) … 1 (all positive), rounded to 3 places."""
    text = _MARKUP.sub(" ", text).strip()
    if not text:
        return 0.0
    scores = _analyser().polarity_scores(text)
    return round(float(scores["pos"]) - float(scores["neg"]), 3)


def compound(text: str) -> float:
    """VADER's own compound score, −1 … 1: what the app read before `tone` (for comparing)."""
    text = _MARKUP.sub(" ", text).strip()
    return float(_analyser().polarity_scores(text)["compound"]) if text else 0.0


def tone_word(value: float) -> str:
    """How a recruiter would say it; the bands are VADER's own ±0.05 neutral zone, widened
    because a share of 0.1 is one mildly loaded word in a sentence of ten."""
    if value <= -0.25:
        return "very negative"
    if value <= -0.05:
        return "negative"
    if value < 0.05:
        return "neutral"
    if value < 0.25:
        return "positive"
    return "very positive"


# --- Leaving intent ----------------------------------------------------------------------

_JOB = (
    r"job|jobs|role|roles|position|post|work|working|career|employer|company|firm|agency|"
    r"agencies|recruiter|recruiters|headhunter|salary|pay|pays|paying|paid|probation|money|"
    r"\d+k|raise|contract|hours|shifts?|commute|manager|boss|team|colleagues?|office|site|"
    r"promotion|leave|leaving|quit|resign\w*|notice|offer|interviews?|elsewhere|here|"
    r"this place|opportunit\w+|cv|linkedin|staying"
)
# Things people also look elsewhere for, give notice on or are tempted by.
_NOT_JOB = (
    r"price|prices|priced|cheaper|cheap|cost|pack|packs|packet|box|boxes|bag|bottle|tin|jar|"
    r"cans|brand|product|products|flavou?r|taste|tastes|store|shop|shops|supermarket|"
    r"order|ordered|delivery|shipping|sellers?|retailers?|consumers?|purchas\w*|buying|"
    r"bought|cand(?:y|ies)|package|cheeses?|coffee|tea|chocolate|snack|snacks|"
    r"biscuits?|cakes?|food|pizza|dessert|sweets|treats?|recipe|sauce|landlord|flat|tenancy|"
    r"lease|house|apartment|gym|broadband|energy|insurance|bank|mortgage|car|holiday|"
    r"netflix|subscription|phone contract|restaurant|cafe|menu|packaging|item|purchase|"
    r"discount|voucher|sale|deals?|supplier|mobile|nursery|school|tenant|rent|sushi|sandwich|"
    r"lunch|canteen|dinner|breakfast|committee|club|party|venue|machine|smoking|sugar|lifts?"
)
_NAMES_THE_JOB = re.compile(
    r"\b(?:jobs?|roles?|positions?|vacanc\w+|careers?|employers?|compan\w+|interview\w*)\b"
)
_JOB_RE = re.compile(rf"\b(?:{_JOB})\b|£\s?\d")
_NOT_JOB_RE = re.compile(rf"\b(?:{_NOT_JOB})\b")

_NEGATION = re.compile(
    r"\b(?:not|never|no|nobody|none|nor|without|hardly|neither|no longer|haven't|hasn't|"
    r"hadn't|isn't|aren't|wasn't|weren't|don't|used to|doesn't|didn't|won't|wouldn't|can't|"
    r"couldn't|shouldn't|cannot|nothing|zero|stopped|turned down|turn down|"
    r"turning down|declined|decline|rejected|refused|ignored|ignore|ignoring|said no to|"
    r"no plans? to|no intention of|no interest in|not interested in|rather than|instead of|"
    r"whenever|every time|doubt)\b"
)
# Words that end a negation's reach: "I'm not happy, and I'm looking elsewhere".
_CLAUSE_JOIN = re.compile(r",|\b(?:and|so|because|as|then|which|but|yet)\b")
# A later clause that takes it back.
_SETTLED = re.compile(
    r"\b(?:decided to stay|(?:i'm|i am|i'll be|i will be) staying|staying put|"
    r"not going anywhere|turned (?:it|them|him|her|that|the offer|the role|the job|it all) "
    r"down|said no|declined (?:it|them|the offer)|(?:happy|glad|going|want|plan) to stay|"
    r"glad i stayed|won't be leaving|not leaving|no longer (?:looking|thinking)|"
    r"not looking any ?more|not any ?more|no more|changed my mind|(?:i'm|i am) happy (?:here|"
    r"where i am)|told (?:them|him|her) (?:no|i'm happy)|not interested|i'm settled|"
    r"(?:all |it's |it is )?sorted (?:now|out)|all sorted|(?:much |a lot )?better now|"
    r"fine now|resolved)\b"
)
_FIRST_PERSON = r"i|i'm|i've|i'd|i'll|im|ive|we|we're|we've|myself"
_PRONOUN = r"he|she|he's|she's|he'd|she'd|he'll|she'll|him|her"
_OTHER_PERSON = (
    r"colleague|colleagues|friend|friends|partner|husband|wife|manager|"
    r"boss|team|person|predecessor|guy|brother|sister|mum|dad|son|daughter|supervisor|"
    r"director|client|starter|apprentice|temp|staff|everybody|nobody|anyone"
)
# Could be whoever made the offer or called ("they offered me a job").
_VAGUE_PERSON = (
    r"they|they're|they've|someone|somebody|everyone|people|others|"
    r"you|you're|you've|you'd|you'll"
)
_SUBJECT = re.compile(
    rf"\b(?:(?P<me>{_FIRST_PERSON})|(?P<other>{_OTHER_PERSON})|(?P<pronoun>{_PRONOUN})"
    rf"|(?P<vague>{_VAGUE_PERSON}))\b"
)


@dataclass(frozen=True)
class _Pattern:
    category: str
    regex: re.Pattern[str]
    # Whose being the nearest subject means it is not the writer's own: "other" (a
    # colleague, my manager), "pronoun" (he, she) and "vague" (they, someone, you). An
    # offer or a call comes from "they" ("they offered me a job"); a promise is broken
    # by "them" (so nobody).
    not_by: tuple[str, ...] = ("other", "pronoun", "vague")
    # The phrase may hold a negation of its own ("I can't see myself staying").
    negation_inside: bool = False
    # The clause must not be about something else (shopping, a landlord).
    about_work: bool = True
    # The whole text must mention work somewhere (for words like "tempted").
    needs_work_words: bool = False
    # Words in the clause that mean it is about something else (exit interview, …).
    unless: re.Pattern[str] | None = None
    # Matched against the whole text, across "but" ("promised training but never").
    whole_text: bool = False


def _p(regex: str) -> re.Pattern[str]:
    return re.compile(regex)


_AGENCY = (
    r"(?:another|other|a different|a rival|a competing|a new|an outside|a second|different|"
    r"rival|several|two|three|a few|some)\s+(?:recruitment\s+)?(?:agency|agencies|recruiters?|"
    r"headhunters?|recruitment (?:firm|company|consultant)s?)"
)
_CONTACT = (
    r"(?:called|calls?|calling|rang|ringing|phoned|phoning|phone call|contacted|contacting|"
    r"approached|approaching|messaged|messaging|messages?|emailed|emails?|reached out|"
    r"got in touch|been in touch|in touch|keeps? (?:calling|messaging|ringing)|"
    r"sent me|offered|wants? me|pitched|put me forward|headhunted|poached|texted)"
)

# After "leave"/"leaving": what makes it about the day, not the job ("leave early",
# "leaving for my holiday", "leave the car at home").
_NOT_THE_JOB = (
    r"(?! (?:early|late|at \d|on (?:mon|tue|wed|thu|fri|sat|sun)\w*|for (?:my |a |the )?"
    r"(?:lunch|the day|holiday|holidays|week|bit|few|weekend|dentist|doctor|appointment)|"
    r"the office|work early|a review|a comment|feedback|it there|it to|it with|them|him|her|"
    r"my (?:car|bag|coat|laptop|phone)|the (?:car|house|dog|cat|kids|building)|home|"
    r"a message|a voicemail|a note|you (?:to|and|with|a|feeling)|a tip|room|or\b|tonight|"
    r"today|tomorrow|now|soon for))"
)

_PATTERNS: tuple[_Pattern, ...] = (
    _Pattern(
        "other_agency",
        _p(
            rf"\b{_AGENCY}\b(?:\W+\w+){{0,4}}?\W+{_CONTACT}\b"
            rf"|\b{_CONTACT}\s+(?:\w+\s+){{0,3}}?(?:from|by)\s+{_AGENCY}\b"
            r"|\b(?:head-?hunted|poached)\b"
            r"|\b(?:a |another |some )?(?:recruiters?|headhunters?|head-hunters?) "
            r"(?:\w+ ){0,2}(?:called|contacted|approached|rang|phoned|messaged|reached out|"
            r"got in touch|keep calling|keeps calling|have been calling|has been calling|"
            r"keep messaging|have been in touch|been in touch|sent me|got me|found me|"
            r"put me forward|wants me)"
            r"|\b(?:agency|agencies|recruiters?|headhunters?)\b(?:\W+\w+){0,4}?\W+"
            r"(?:sent|got|found|offered) me (?:a|an|another|something) (?:\w+ )?(?:role|job|"
            r"interview|position|better|else)"
            r"|\b(?:talking|speaking|spoke|talked|chatting|chatted) (?:to|with) (?:a|another|some|"
            r"other|a few) (?:recruiters?|agenc(?:y|ies)|headhunters?)\b"
            r"|\b(?:called|rang|phoned|messaged|emailed|contacted) (?:me )?about "
            r"(?:a|another|a new) (?:\w+ )?(?:role|job|position|vacancy|opportunity)\b"
            r"|\b(?:i'm|i am) available (?:from|to start|for (?:work|a new|interviews))\b"
            r"|\bpoach(?:ed|ing)? me\b"
            r"|\bregist(?:ered|ering) with (?:\w+ )?(?:other |another |a new |new |an? )?"
            r"(?:agenc(?:y|ies)|recruiters?)\b"
            r"|\b(?:chasing|chased|pestering|hounding) me about (?:a|another|a new) (?:\w+ )?"
            r"(?:role|job|position)\b"
            r"|\b(?:cv|resume) (?:is )?with (?:\w+ ){0,3}(?:agenc(?:y|ies)|recruiters?)\b"
            r"|\b(?:agency|agencies|recruiters?|headhunters?|recruitment \w+)\b(?:\W+\w+){0,4}?"
            r"\W+(?:has|have|had) (?:a|an|another) (?:\w+ ){0,2}(?:role|job|position) for me"
        ),
        not_by=("other", "pronoun"),
        unless=_p(
            r"\b(?:knew|know) (?:anyone|anybody|someone|somebody)\b|\bfor a friend\b|"
            r"\babout (?:my |a )?(?:friend|colleague|partner|sister|brother)"
        ),
    ),
    _Pattern(
        "offer",
        _p(
            r"\bcounter[- ]?offer\w*"
            r"|\b(?:another|other|a better|better|a new|new|a job|job|a verbal|a written|"
            r"competing|an external|a higher|higher|a second|an?) (?:job )?offers? "
            r"(?:from|at|with|elsewhere)\b"
            r"|\b(?:another|a better|a new|a job|a verbal|a written|competing|an external|"
            r"a higher|a second|other|job) (?:job )?offers?\b"
            r"|\b(?:been|was|got|get|getting) offered (?:a|another|an|the) "
            r"(?:\w+ ){0,2}(?:job|role|position|post|contract)"
            r"|\boffered me (?:a|another|an) (?:\w+ ){0,2}(?:job|role|position|post)"
            r"|\boffers? (?:of|for) (?:a|another) (?:\w+ ){0,2}(?:job|role|position)"
            r"|\boffered (?:me )?(?:\w+ ){0,3}elsewhere\b"
            r"|\baccepted (?:a|another|an|the|a new) (?:new )?(?:job|role|position|offer|post)\b"
            r"(?! here| with you)"
            r"|\b(?:job|role|position|post) elsewhere\b"
            r"|\bin talks with (?:another|a new|other|a different|a) (?:employer|company|firm)"
            r"|\b(?:wants?|asked) me (?:back|to (?:come in|go back|join them|interview))"
            r"|\b(?:want|wants|wanted) me to start\b"
            r"|\bsaid yes to (?:another|a new|a|an|the other) (?:\w+ )?(?:job|role|offer|position)"
            r"|\boffered me a (?:start|trial|place)\b"
            r"|\b(?:there's|there is|they've got|they have|has got|has) (?:a|another) (?:\w+ )?"
            r"(?:job|role|position) (?:\w+ )?for me\b"
            r"|\bif i(?:'m| am)? (?:get|offered|given) (?:the|a|that) (?:\w+ )?"
            r"(?:job|role|position)"
            r"|\bstart date (?:at|with|for) (?:my new|a new|another|the new) (?:job|role|company|"
            r"place|employer)"
            r"|\bon (?:better|more|higher) (?:money|pay)\b"
            r"|\bsigned (?:a |the )?(?:contract|offer)(?: \w+){0,2} (?:with|at|for) "
            r"(?:another|a new|a different|other)\b"
            r"|\boffers? (?:came|come|have come|has come|coming) (?:through|in)\b"
            r"|\boffered me (?:£\s?\d|\d+k|more money|more per|more an|a pay rise|a raise)"
            r"|\b(?:came back with|offered|offering|offered me|offering me) (?:a |an )?(?:better|"
            r"bigger|higher|improved) (?:pay )?(?:package|salary|rate|deal)\b"
        ),
        not_by=("other", "pronoun"),
        unless=_p(
            r"\b(?:permanent|perm|temp[- ]to[- ]perm|extension|extend|here|this (?:job|role)|"
            r"special offer|on offer|buy one|multi-?buy|internal|promotion|when i (?:started|"
            r"joined|accepted))\b"
        ),
    ),
    _Pattern(
        "offer",
        _p(r"\ban? (?:\w+ )?offer (?:that )?i (?:can't|cannot|couldn't) (?:really )?refuse\b"),
        negation_inside=True,
    ),
    _Pattern(
        "notice",
        _p(
            r"\b(?:hand|handed|handing|give|gave|given|giving|put|putting|serve|served|serving|"
            r"work|working|submit|submitted|submitting|tender|tendered|tendering|turn|turned|"
            r"hand in|put in) (?:in )?(?:my |in my |in |a )?(?:\w+ )?notice\b"
            r"|\bresign(?:ed|ing|ation)?\b(?! to)|\bresignation letter\b|\bquit(?:ting)? "
            r"(?:my|this|the) (?:job|role|position)"
            r"|\bmy notice period (?:ends|is up|finishes|starts|runs out)"
            r"|\bhow long (?:my|the) notice (?:period )?is\b|\bwhat (?:is )?my notice period\b"
            r"|\b(?:be|is) my last\b(?! (?:day off|holiday|week off))"
            r"|\bmy last (?:day|week|shift)\b(?! off)"
        ),
        unless=_p(
            r"\bshort notice\b|\bnotice board\b|\bgym\b|\bbefore (?:my )?holiday|"
            r"\bnotice (?:to|about) (?:the|everyone|us|all)\b"
        ),
    ),
    _Pattern(
        "interviews",
        _p(
            r"\binterview(?:s|ing|ed)? (?:elsewhere|somewhere else|for (?:another|a new|other|"
            r"a different) (?:job|role|position)|with (?:another|other|a different|a new|a "
            r"competitor|a rival|two|three|a couple|a few|some other))\b"
            r"|\b(?:got|have|had|having|attending|attended|going to|going for|went for|lined up|"
            r"booked|doing|did|at|invited to|invite to|invited for|been to|went to|got me|"
            r"get me|getting|go in for|come in for|go for|been for|gone for) (?:(?:an?|a second|"
            r"a final|another|two|three|a few|some|second|final|several|a couple of|my first|a "
            r"telephone|a phone|a video) (?:more |other |job )?interviews?|(?:job )?interviews)\b"
            r"|\b(?:day|time|afternoon|morning) off (?:for|to (?:go to|attend)) (?:an?|another|a "
            r"second) interview"
            r"|\btrial (?:shift|day|run|week) (?:at|with|for) (?:another|a different|a new|other)\b"
            r"|\binterviews? (?:\w+ ){1,3}elsewhere\b"
            r"|\bfinal (?:round|stage)s? (?:for|with|at)\b|\bfinal interview\b"
            r"|\b(?:meeting|meet|talking to|speaking to|a chat with) (?:a|another|a new|other) "
            r"(?:company|firm|employer|business)\b"
        ),
        unless=_p(
            r"\b(?:exit|performance|appraisal|review|catch-?up|one[- ]to[- ]one|1:1|internal|"
            r"promotion|before (?:i|starting|i started)|for this (?:job|role|position)|"
            r"to get (?:this|the) (?:job|role)|when i applied|interviewing (?:candidates|"
            r"people|for my|new)|for (?:my|our|the) team)\b"
        ),
    ),
    _Pattern(
        "tempted",
        _p(
            r"\btempted\b(?! to (?!(?:leave|go|move|quit|take|accept|jump|apply|walk|say yes|"
            r"look|resign|hand|switch|leap|bail|try (?:something|somewhere)|join)\b))"
            r"|\b(?:tempting|temptation)\b"
        ),
        not_by=("other", "pronoun"),
        needs_work_words=True,
    ),
    _Pattern(
        "not_as_promised",
        _p(
            r"\bnot (?:what|the (?:job|role|position))(?: that)? "
            r"(?:i was|we were|i'd been|i had been|they|was|were|she was|he was) "
            r"(?:promised|told|sold|offered|led to believe|described|advertised)"
            r"|\blied (?:to me |to us )?about\b"
            r"|\bnot as (?:advertised|described|promised|agreed|discussed)"
            r"|\b(?:misled|mis-?sold|lied to|bait and switch)\b"
            r"|\bnot what (?:i|we) signed up for"
            r"|\b(?:nothing|not) like (?:the|what was in the|what was on the|what was "
            r"described in the) (?:job description|advert|ad|interview)\b"
            r"|\b(?:isn't|is not|wasn't|was not) what (?:i was|they|you) (?:told|promised|said|"
            r"sold)"
            r"|\bdifferent (?:from|to) what (?:i was|they|you) (?:told|promised|said|described)"
        ),
        not_by=(),
        negation_inside=True,
    ),
    _Pattern(
        "not_as_promised",
        _p(
            r"\bpromised (?:me |us )?(?:\w+ ){1,6}(?:but|and|yet) (?:it |that |they |this )?"
            r"(?:never|not|hasn't|has not|haven't|didn't|nothing)"
            r"|\bsold (?:to me|to us|me|us) as (?:\w+ ){1,6}(?:but|and|yet)\b"
        ),
        not_by=(),
        negation_inside=True,
        whole_text=True,
    ),
    _Pattern(
        "looking",
        _p(
            r"\blook(?:ing|ed)? (?:around|elsewhere|about)\b(?! (?:for|at) (?:a |an |the )?"
            r"(?:cheaper|better price|another brand))"
            r"|\blook(?:ing|ed)? (?:for|at) (?:another|a new|other|a different|new|different|"
            r"a better|better|alternative) (?:\w+ )?(?:jobs?|roles?|positions?|posts?|"
            r"opportunit\w+|careers?|employers?|companies|work)"
            r"|\bjob[- ]?hunt\w*|\bjob[- ]?search\w*|\bon the job market\b"
            r"|\bappl(?:y|ying|ied) (?:for|to) (?:other|another|new|different|a few|some|a couple "
            r"of)? ?(?:\w+ )?(?:jobs?|roles?|positions?|posts?|companies|vacancies)"
            r"|\bupdat(?:ed|ing|e) my (?:cv|linkedin|resume)"
            r"|\b(?:cv|resume) (?:is )?(?:back )?out there|\bback on the (?:job )?market"
            r"|\bopen to (?:other )?(?:offers|opportunities|other roles|new roles)"
            r"|\bkeep(?:ing)? my options open|\bbrowsing (?:jobs|vacancies|indeed|linkedin)"
            r"|\bon (?:indeed|totaljobs|reed|linkedin jobs|glassdoor) (?:again|every|looking)"
            r"|\b(?:look|looking|search|searching) (?:for )?(?:something|somewhere) (?:else|new|"
            r"better)|\bactively looking\b|\b(?:a|my) way out\b"
            r"|\b(?:find|found|get|got) (?:something|somewhere|a job|a role) (?:else|better)"
            r"|\bappl(?:y|ied|ying) (?:for|to) (?:a|the|that|this) vacancy"
            r"|\bappl(?:y|ied|ying) elsewhere\b|\bsen(?:t|d|ding) (?:out )?my (?:cv|resume)\b"
            r"|\blook(?:ing)? for (?:work|a job|jobs|a role)\b|\bon the look-?out for\b"
            r"|\b(?:job|role|position)s? i (?:applied|went|interviewed) for\b"
            r"|\bhear(?:d|ing)? back (?:from|about) (?:a|the|another) (?:job|role|interview|"
            r"company|application)"
            r"|\b(?:getting|got|putting|put) my (?:cv|resume) (?:together|ready|up to date|sorted)"
            r"|\bfind (?:a new|another|a different|a better) (?:job|role|position)\b"
            r"|\bon the (?:hunt|prowl) for (?:a |another |a new |new |other )?(?:\w+ )?(?:jobs?|"
            r"roles?|positions?|work)\b"
            r"|\b(?:keeping|keep|kept) an eye out for (?:other|another|a new|new|a different) "
            r"(?:\w+ )?(?:jobs?|roles?|positions?|work)\b"
            r"|\bgot the (?:job|role|position) i (?:interviewed|applied|went) for\b"
            r"|\blook(?:ing|ed)? (?:at|through) (?:jobs|roles|vacancies|job (?:ads|adverts|sites|"
            r"boards))\b"
            r"|\bvacanc(?:y|ies)\b(?:\W+\w+){0,8}?\W+appl(?:y|ied|ying)\b"
        ),
    ),
    _Pattern(
        "leaving",
        _p(
            r"\b(?:thinking|thought|think|considering|contemplating|weighing up|wondering about)"
            r" (?:of |about |seriously about |about maybe )?(?:leaving|quitting|moving on|"
            r"handing in|resigning|packing it in|jacking it in|walking|a move|a change)\b"
            rf"{_NOT_THE_JOB}"
            r"|\b(?:might|may|could|going to|gonna|want to|wanna|will|plan to|planning to|"
            r"planning on|intend to|about to|ready to|need to|have to|tempted to|likely to|"
            r"probably|wants to|i'll|i'd|looking to|hoping to|trying to|desperate to|itching to|"
            r"i'll be|i will be|i'm|i am) (?:just |definitely |probably )?(?:leave|leaving|quit|"
            r"quitting|resign|resigning|move on|moving on|walk out|walk|jack it in|pack it in|"
            r"call it a day)\b"
            rf"{_NOT_THE_JOB}"
            r"|\bi'm (?:off|out|going)\s*$|\b(?:i'll|i will) be (?:gone|off|out of here)\b"
            r"|\b(?:plan is to|decided to|made up my mind to|i've decided to) (?:leave|quit|"
            r"resign|move on)\b"
            rf"{_NOT_THE_JOB}"
            r"|\bfinishing (?:up )?(?:here|this job)\b"
            r"|\bget out of (?:here|this (?:job|place|company|role))\b"
            r"|\b(?:one foot|half|halfway) out (?:of )?the door\b"
            r"|\bwhether (?:to|i should|i'll|i will) stay or (?:go|leave)\b|\bstay or go\b"
            r"|\b(?:i'm|i am) not (?:going to|gonna) stay\b(?! (?:late|on|for|over|behind))"
            r"|\bhow much longer (?:i can|i'll|i will|i could) (?:stay|last|stick|take)\b"
            r"|\b(?:going|go|went) back to (?:college|uni|university|studying|education|full-time "
            r"study)\b(?! (?:part|alongside|in the evenings))"
            r"|\b(?:not|don't|won't) (?:planning to |going to |expecting to |intending to )?"
            r"(?:be here|stay|stick around) (?:past|after|beyond|much longer|for (?:long|much "
            r"longer)|long)\b"
            r"|\bstart(?:ing)? (?:somewhere new|a new job|a new role|at a new|with a new)\b"
            r"|\b(?:on the verge of|close to|near to|this close to) (?:quitting|leaving|resigning|"
            r"handing in|walking out)\b"
            r"|\b(?:can't|cannot|won't|couldn't) stay (?:here |in this (?:job|role) )?"
            r"(?:much |any )?(?:longer|long)\b"
            r"|\b(?:i'm|i am) not (?:staying|stopping)\b(?! (?:late|after|for|over|behind))"
            r"|\b(?:leav(?:e|ing)|quit(?:ting)?|walk(?:ing)? out of) (?:this|the|my) "
            r"(?:job|role|company|position|firm|place)\b"
            r"|\b(?:don't|do not|can't|cannot|can not) see myself (?:staying|here|there|lasting|"
            r"long[- ]term|much longer|past)"
            r"|\bnot sure (?:if |whether |that )?(?:i'll|i will|i can|i want to|i'm going to) "
            r"(?:stay|last|stick)"
            r"|\bi (?:won't|will not|don't think i'll|doubt i'll) (?:last|be (?:here|staying)|stay)"
            r"|\bregret(?:ting|s)? (?:taking|accepting|joining|moving)"
            r"|\bback to my (?:old|previous|last) (?:job|role|employer|company|firm|career)"
            r"|\bhad enough of (?:this|the|my) (?:job|place|role|company|manager|boss)"
            r"|\b(?:one foot out the door|on my way out|counting the days|exit plan)\b"
        ),
        negation_inside=True,
    ),
)

_CLAUSES = re.compile(r"[.!?;\n]+|\b(?:but|however|although|though|whereas)\b")


def _normalise(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("`", "'")
    text = re.sub(r"\s+", " ", text.lower())
    return text


def _clauses(text: str) -> list[tuple[int, str]]:
    """(offset, clause) for each clause of `text` (already normalised)."""
    out: list[tuple[int, str]] = []
    start = 0
    for m in _CLAUSES.finditer(text):
        out.append((start, text[start : m.start()]))
        start = m.end()
    out.append((start, text[start:]))
    return [(o, c) for o, c in out if c.strip()]


def _last_subject(before: str) -> re.Match[str] | None:
    last = None
    for m in _SUBJECT.finditer(before):
        last = m
    return last


def _negated(before: str) -> bool:
    """A negation or a refusal in the last few words before the phrase, after its subject
    and this side of an "and" or a comma ("if it doesn't change I'll hand in my notice"
    is not negated; "I'm not happy, and I'm looking" neither)."""
    cut = 0
    joins = list(_CLAUSE_JOIN.finditer(before))
    if joins:
        cut = joins[-1].end()
    subject = _last_subject(before[cut:])
    if subject is not None:
        cut += subject.end()
    window = " ".join(before[cut:].split()[-6:])
    return bool(_NEGATION.search(window))


def _doubted(before: str) -> bool:
    """ "I don't think I'll leave": a negation in the three words before a phrase that
    brings its own subject."""
    joins = list(_CLAUSE_JOIN.finditer(before))
    if joins:
        before = before[joins[-1].end() :]
    return bool(_NEGATION.search(" ".join(before.split()[-3:])))


def _by_someone_else(before: str, not_by: tuple[str, ...], *, reported: bool) -> bool:
    """The nearest subject before the phrase is someone else ("my colleague is looking").
    In a consultant's note (`reported`), "he", "she" and "they" are the placed person."""
    if reported:
        not_by = tuple(g for g in not_by if g not in ("pronoun", "vague"))
    subject = _last_subject(before)
    return subject is not None and any(subject.group(g) is not None for g in not_by)


def _job_words(text: str) -> bool:
    return bool(_JOB_RE.search(text))


def _about_something_else(clause: str, m: re.Match[str]) -> bool:
    """Unless the phrase names the job itself: the clause, leaving out the phrase, names
    something other than work and nothing about work; or the words right after the phrase
    name something else ("look elsewhere for sushi", "notice on my flat", "an offer of a
    free coffee machine")."""
    if _NAMES_THE_JOB.search(m.group(0)):
        return False  # "browsing vacancies on my lunch break"
    rest = clause[: m.start()] + " " + clause[m.end() :]
    if _NOT_JOB_RE.search(rest) and not _job_words(rest):
        return True
    after = " ".join(clause[m.end() :].split()[:5])
    other = _NOT_JOB_RE.search(after)
    return other is not None and not _job_words(after[: other.start()])


def _match_in(clause: str, pattern: _Pattern, text: str, *, reported: bool) -> re.Match[str] | None:
    for m in pattern.regex.finditer(clause):
        # "I've told my manager I'm leaving": the phrase brings its own subject, so what
        # comes before it (someone else, their negation) is about another part.
        said = _FIRST_SUBJECT.match(m.group(0))
        before = "" if said else clause[: m.start()]
        if _negated(before) or (said and _doubted(clause[: m.start()])):
            continue
        if not pattern.negation_inside and _NEGATION.search(m.group(0)):
            continue
        if _by_someone_else(before, pattern.not_by, reported=reported):
            continue
        if pattern.unless is not None and pattern.unless.search(clause):
            continue
        if pattern.about_work and _about_something_else(clause, m):
            continue
        if pattern.needs_work_words and not _job_words(_TEMPT_RE.sub(" ", text)):
            continue
        return m
    return None


_FIRST_SUBJECT = re.compile(rf"(?:{_FIRST_PERSON})\b")
_TEMPT_RE = re.compile(r"\b(?:tempted|tempting|temptation)\b")


def leaving_intent(
    text: str, *, reported: bool = False, ignore: frozenset[str] = frozenset()
) -> LeavingIntent | None:
    """The first phrase in `text` that says its writer may leave their job, or None.

    `reported`: the text is a consultant's note of what the placed person said ("she's
    had an offer"), so he, she and they are that person, not someone else. `ignore`:
    categories that say nothing here (notice given before a job starts is notice to the
    job they are leaving for it).
    """
    normal = _normalise(text)
    if len(normal) < 5:
        return None
    pieces = [(True, 0, normal)] + [(False, o, c) for o, c in _clauses(normal)]
    for whole, offset, clause in pieces:
        for pattern in _PATTERNS:
            if pattern.whole_text != whole or pattern.category in ignore:
                continue
            m = _match_in(clause, pattern, normal, reported=reported)
            if m is None:
                continue
            if _SETTLED.search(normal[offset + m.end() :]):
                return None
            start, end = offset + m.start(), offset + m.end()
            return LeavingIntent(
                phrase=_as_written(text, normal, start, end), category=pattern.category
            )
    return None


def _as_written(text: str, normal: str, start: int, end: int) -> str:
    """The matched words as the person wrote them (case, curly quotes), when the
    normalised text lines up with the original; else the normalised words."""
    if len(text) == len(normal):
        return text[start:end].strip()
    return normal[start:end].strip()
