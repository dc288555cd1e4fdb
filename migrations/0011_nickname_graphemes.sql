-- Nicknames are counted as people see them: at most 32 grapheme clusters (core's
-- `Nickname`, `unicode-segmentation`; the pages' `Intl.Segmenter`). A family emoji joined
-- with ZWJ is one character but up to 7 scalar values, so the database, which counts scalar
-- values (`char_length`), allows core's cap of 256 (NICKNAME_MAX_SCALARS) instead of 32.
alter table orders drop constraint orders_nickname_check;
alter table orders add constraint orders_nickname_check check (char_length(nickname) between 1 and 256);
