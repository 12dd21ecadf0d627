// Reads an iCalendar file with Mozilla's ical.js and prints every event occurrence in
// [from, until) as JSON: [{"uid", "summary", "start", "end"}] with UTC ISO times.
// Usage: node icaljs_times.mjs ICAL_JS_PATH FILE.ics FROM UNTIL (FROM/UNTIL as ISO dates)
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [, , library, file, from, until] = process.argv;
const ICAL = (await import(pathToFileURL(library).href)).default;
const calendar = new ICAL.Component(ICAL.parse(readFileSync(file, "utf8")));
// As calendar apps do: the file's own VTIMEZONEs define its TZIDs.
for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(vtimezone);
}
const first = new Date(from);
const last = new Date(until);
const vevents = calendar.getAllSubcomponents("vevent");
const uid = (vevent) => vevent.getFirstPropertyValue("uid");
const masters = new Map();
for (const vevent of vevents) {
  if (!vevent.hasProperty("recurrence-id")) {
    // Each series gets its own overrides (RECURRENCE-ID, same UID), passed in explicitly.
    const overrides = vevents.filter((o) => o.hasProperty("recurrence-id") && uid(o) === uid(vevent));
    masters.set(uid(vevent), new ICAL.Event(vevent, { exceptions: overrides, strictExceptions: true }));
  }
}
const out = [];
const push = (uid, summary, start, end) => {
  const startDate = start.toJSDate();
  if (startDate >= first && startDate < last) {
    out.push({ uid, summary, start: startDate.toISOString(), end: end.toJSDate().toISOString() });
  }
};
for (const [uid, event] of masters) {
  if (!event.isRecurring()) {
    push(uid, event.summary, event.startDate, event.endDate);
    continue;
  }
  const iterator = event.iterator();
  for (let next = iterator.next(); next; next = iterator.next()) {
    if (next.toJSDate() >= last) break;
    const details = event.getOccurrenceDetails(next);
    push(uid, details.item.summary, details.startDate, details.endDate);
  }
}
out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.uid < b.uid ? -1 : 1));
console.log(JSON.stringify(out));
