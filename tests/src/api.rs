//! Typed helpers for the Drink Orders API (shared by the e2e tests).
