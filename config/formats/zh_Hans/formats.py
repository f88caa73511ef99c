# One way to write a moment in Chinese, on every page, in mail and in the admin. The
# browser writes the same shape in the reader's zone (static/js/redress.js); the zone's
# name always follows ("2026年12月2日 21:16 UTC").
DATE_FORMAT = SHORT_DATE_FORMAT = "Y年n月j日"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = SHORT_DATETIME_FORMAT = "Y年n月j日 H:i"
