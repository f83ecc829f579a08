// Preloaded into Azurite by tests/conftest.py (NODE_OPTIONS=--require): a clock that tests can move forward.
//
// Azurite decides whether a lease has expired by comparing its own clock (`new Date()` at each request) with the
// lease's expiry time. This script adds the offset, in milliseconds, written in $FINEPLAN_AZURITE_CLOCK_FILE to
// every reading of the clock. The file is read at each reading, so a test that writes it sees the new time on
// Azurite's very next request: a 15 s lease lapses without the test waiting 15 s.
"use strict";

const fs = require("fs");

const file = process.env.FINEPLAN_AZURITE_CLOCK_FILE;

if (file) {
  const RealDate = Date;
  let last = 0;
  let reading = false;
  const offset = () => {
    if (reading) {
      return last; // reading the file reads the clock too (in Node or Azurite's patched fs): do not recurse
    }
    reading = true;
    try {
      last = Number(fs.readFileSync(file, "ascii")) || 0;
    } catch {
      // the file is written by the test: keep the last offset if it is momentarily unreadable
    } finally {
      reading = false;
    }
    return last;
  };
  const now = () => RealDate.now() + offset();

  // A function, not a class, so that `Date()` called without `new` keeps working (it returns a string).
  function ShiftedDate(...args) {
    if (!new.target) {
      return new RealDate(now()).toString();
    }
    return args.length === 0 ? new RealDate(now()) : new RealDate(...args);
  }
  ShiftedDate.prototype = RealDate.prototype; // instanceof Date and every Date method keep working
  ShiftedDate.now = now;
  ShiftedDate.parse = RealDate.parse;
  ShiftedDate.UTC = RealDate.UTC;
  globalThis.Date = ShiftedDate;
}
