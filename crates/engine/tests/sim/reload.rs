//! Page reloads: when one may come, and what the new page starts from.

use s3lift_engine::{Engine, Event, RequestId};

use crate::run::drain;
use crate::scenario::Scenario;
use crate::world::{Arrival, World};

impl World {
    /// Whether the page may reload now: between signer calls, or while
    /// only completes are on their way (a reload mid-create would leave an
    /// upload no page knows of: the store's lifecycle rule cleans those).
    pub fn reload_allowed(&self) -> bool {
        self.signer_out
            .iter()
            .all(|id| self.complete_calls.contains(id))
    }
}

/// The page reloads: the engine and its answers are gone; requests already
/// on their way may still land. A new engine starts from the saved records.
pub(crate) fn reload(sc: &Scenario, w: &mut World, t: u64) -> Result<Engine, String> {
    // Answers on their way are lost with the page (a complete's effect on
    // the store, if any, happened when it was sent).
    if !w.signer_out.is_empty() {
        w.reloads_mid_complete += 1;
    }
    w.signer_out.clear();
    w.complete_calls.clear();
    let marked = w.records.iter().filter(|(_, r)| r.completing);
    w.cancels.reload(marked.map(|(f, _)| *f));
    // Bytes on their way may still land, while the new page lists the
    // parts; a signer waiting for a complete's pending parts goes on
    // without the page, and completes if they land. None of them is heard
    // of again: their request ids are no page's.
    let unheard = RequestId(u64::MAX);
    for (seq, a) in std::mem::take(&mut w.pending) {
        let kept = match a {
            Arrival::Deliver(_) => continue,
            Arrival::Part {
                upload,
                part,
                range,
                ..
            } => Arrival::Part {
                id: unheard,
                upload,
                part,
                range,
                lose: true,
            },
            Arrival::Single {
                key, file, size, ..
            } => Arrival::Single {
                id: unheard,
                key,
                file,
                size,
                lose: true,
            },
            // Not at the signer yet: it may never get there.
            Arrival::Ahead(a) if a.waited == 0 && w.rng.unit() < 0.5 => continue,
            Arrival::Ahead(mut a) => {
                a.id = unheard;
                Arrival::Ahead(a)
            }
        };
        w.pending.insert(seq, kept);
    }
    for (_, (f, len)) in std::mem::take(&mut w.data_out) {
        *w.stats.allowance.entry(f).or_default() += len;
    }
    w.now = t;
    let mut engine = Engine::new(sc.cfg.clone());
    // A new page: its progress starts afresh, and it learns the network
    // state as a page does (`navigator.onLine`).
    w.progress.clear();
    if w.offline {
        engine.handle(t, Event::Offline);
    }
    for f in &sc.files {
        if w.finished.contains_key(&f.id) {
            continue;
        }
        let mut spec = f.clone();
        spec.resume = w.records.get(&f.id).cloned();
        if let Some(r) = &spec.resume {
            w.from_record.insert(f.id, r.completing);
        }
        engine.handle(t, Event::Add(spec));
        drain(sc, &mut engine, w)?;
    }
    Ok(engine)
}
