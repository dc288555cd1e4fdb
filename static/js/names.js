// Public names. While the bar hides an order's nickname from public screens, public answers
// (the feed, the board) carry `nickname: null`: public screens show "Guest #42" instead,
// and the pages that know the nickname (the visitor's own, the bar) keep it.

import { t } from "./i18n.js";

/** What public screens show for an order: its nickname, or "Guest #42" while hidden. */
export function publicName(order) {
  return order.nickname ?? t("names.guest", { number: order.number });
}

/** A public copy of an order merged onto the one a page has: a hidden name keeps ours. */
export function keepKnownName(order, known) {
  return order.nickname == null && known?.nickname != null ? { ...order, nickname: known.nickname } : order;
}
