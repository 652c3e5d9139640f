DROP FUNCTION IF EXISTS ref.workday_lag(date, date);
DROP TABLE IF EXISTS ref.calendar_years, ref.workdays;
