//! The driver's callbacks: what the snippet and the timers call back,
//! made once per driver, as two Rust closure types.

use alloc::rc::{Rc, Weak};

use s3lift_engine::{Event, FileId, RequestId};
use wasm_bindgen::prelude::*;

use super::{Driver, Shared};

/// What the snippet and the timers call back, made once per driver. `Fn`,
/// not `FnMut`: an XHR's `abort()` reports synchronously, from inside an
/// answer's own call, and wasm-bindgen refuses to re-enter an `FnMut`.
pub(super) struct Callbacks {
    /// `(id, status, a, b, c)`: a signer or store answer.
    pub(super) answer: Closure<dyn Fn(f64, u32, JsValue, JsValue, JsValue)>,
    /// `(id, bytes sent)`.
    pub(super) progress: Closure<dyn Fn(f64, f64)>,
    /// `(file, part, bytes)`; `answer`'s type (the two values after the
    /// bytes are unused), so the glue and the module carry one call shim
    /// for both.
    pub(super) digested: Closure<dyn Fn(f64, u32, JsValue, JsValue, JsValue)>,
    /// The timer; `progress`'s type (`setTimeout` passes no numbers), so
    /// one call shim serves it too.
    pub(super) tick: Closure<dyn Fn(f64, f64)>,
    /// The end of the current turn of the event loop (as `tick`).
    pub(super) later: Closure<dyn Fn(f64, f64)>,
    /// `online`/`offline`: whether the browser has a network (the snippet's
    /// `true`/`false` arrive as 1/0; the second number is unused). The
    /// type of `progress`, so the glue and the module carry one call shim
    /// for the three instead of three.
    pub(super) network: Closure<dyn Fn(f64, f64)>,
    /// `(file, held)`: this tab holds the upload's Web Lock, or another
    /// does (`held` as 1/0, as `network`'s).
    pub(super) locked: Closure<dyn Fn(f64, f64)>,
}

/// What a callback of `progress`'s type is for: the five are one Rust
/// closure type told apart by this (one vtable, call shim and drop for
/// them all, where five closure types brought five of each).
pub(crate) enum Two {
    Progress,
    Tick,
    Later,
    Network,
    Locked,
}

impl Callbacks {
    pub(super) fn new(me: &Weak<Driver>) -> Self {
        Self {
            answer: five(me, false),
            progress: two(me, Two::Progress),
            digested: five(me, true),
            tick: two(me, Two::Tick),
            later: two(me, Two::Later),
            locked: two(me, Two::Locked),
            network: two(me, Two::Network),
        }
    }
}

/// A callback of `answer`'s type: the answers, or the digests
/// (`(file, part, value)`).
#[inline(never)]
fn five(me: &Weak<Driver>, digest: bool) -> Closure<dyn Fn(f64, u32, JsValue, JsValue, JsValue)> {
    let w = me.clone();
    Closure::new(
        move |id: f64, status: u32, x: JsValue, y: JsValue, z: JsValue| {
            if let Some(d) = w.upgrade() {
                if digest {
                    // The digest's text, or `undefined` (none).
                    d.feed(Event::Digested {
                        file: FileId(id as u64),
                        part: status,
                        value: x.as_string(),
                    });
                } else {
                    d.answered(RequestId(id as u64), status as u16, &x, &y, &z);
                }
            }
        },
    )
}

/// A callback of `progress`'s type, for `what` (made by one function, not
/// inlined five times).
#[inline(never)]
pub(crate) fn two(me: &Weak<Driver>, what: Two) -> Closure<dyn Fn(f64, f64)> {
    let w = me.clone();
    Closure::new(move |a: f64, b: f64| {
        if let Some(d) = w.upgrade() {
            d.called(&what, a, b);
        }
    })
}

impl Driver {
    /// A callback of `progress`'s type.
    fn called(self: &Rc<Self>, what: &Two, a: f64, b: f64) {
        match what {
            Two::Progress => self.sent(RequestId(a as u64), b),
            Two::Tick => {
                self.timer.write().take();
                self.feed(Event::Tick);
            }
            Two::Later => {
                self.queued.set(false);
                self.pump();
            }
            Two::Network => self.feed(if a != 0.0 {
                Event::Online
            } else {
                Event::Offline
            }),
            Two::Locked => self.locked(FileId(a as u64), b != 0.0),
        }
    }
}
