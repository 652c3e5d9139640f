-- The statutory working-day calendar (法定工作日历) and the lag function the timing checks use.
-- depends: 0002_core
--
-- Filled by `disclosure-audit calendar load` (disclosure_audit.calendar.db.load_workdays) from the
-- cross-checked Python calendar, in one transaction; a row exists exactly for each day of a covered
-- year, and covered years are contiguous, so a missing row means "year not covered".

CREATE TABLE ref.workdays (
    day              date PRIMARY KEY,
    is_workday       boolean NOT NULL,
    workday_seq      int NOT NULL CHECK (workday_seq >= 0),
    year             int NOT NULL,
    source           text NOT NULL,
    calendar_version text NOT NULL,
    CHECK (year = extract(year FROM day))
);
COMMENT ON TABLE ref.workdays IS
    '法定工作日历：每个已公布安排年份的每一天 / statutory working-day calendar: every day of each covered year';
COMMENT ON COLUMN ref.workdays.is_workday IS
    'true on Monday–Friday unless a day off, and on make-up Saturdays/Sundays (调休上班)';
COMMENT ON COLUMN ref.workdays.workday_seq IS
    'working days from the first covered day up to and including this day: lag = seq(published) - seq(written)';
COMMENT ON COLUMN ref.workdays.calendar_version IS
    'fingerprint of the data and the library versions it came from';

CREATE TABLE ref.calendar_years (
    year            int PRIMARY KEY,
    source          text NOT NULL,
    loaded_at       timestamptz NOT NULL DEFAULT now(),
    days_off        int NOT NULL,
    makeup_workdays int NOT NULL
);
COMMENT ON TABLE ref.calendar_years IS
    '已载入的节假日安排年份及其来源 / covered years, the notice each follows, and when it was loaded';
COMMENT ON COLUMN ref.calendar_years.days_off IS 'Monday–Friday days off (weekend days off are off anyway)';
COMMENT ON COLUMN ref.calendar_years.makeup_workdays IS 'Saturdays and Sundays worked (调休上班)';

-- Working days strictly after `written` up to and including `published` (rule timing.publish_lag).
-- NULL when either day is outside the covered years (not evaluable, never guessed) or is NULL.
-- When published < written: the negative count of working days after `published` up to `written`,
-- so lag(a, b) = -lag(b, a); the date-order rule, not this one, judges such items.
CREATE FUNCTION ref.workday_lag(written date, published date) RETURNS int
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
    SELECT p.workday_seq - w.workday_seq
    FROM ref.workdays AS w, ref.workdays AS p
    WHERE w.day = written AND p.day = published
$$;
COMMENT ON FUNCTION ref.workday_lag(date, date) IS
    '发布日期与成文日期间隔的法定工作日数（不含成文日期当日）；年份未覆盖时为 NULL / working-day lag, NULL when not covered';
