# One way to write a moment in English, on every page, in mail and in the admin. The
# browser writes the same shape in the reader's zone (static/js/redress.js); the zone's
# name always follows ("Dec 2, 2026, 21:16 UTC").
DATE_FORMAT = SHORT_DATE_FORMAT = "M j, Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = SHORT_DATETIME_FORMAT = "M j, Y, H:i"
