//! Page reloads: when one may come, and what the new page starts from.

use s3lift_engine::{Engine, Event};

use crate::run::drain;
use crate::scenario::Scenario;
use crate::world::World;

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
    let pending = std::mem::take(&mut w.pending);
    w.heap.clear();
    // Answers on their way are lost with the page (a complete's effect on
    // the store, if any, happened when it was sent).
    if !w.signer_out.is_empty() {
        w.reloads_mid_complete += 1;
    }
    w.signer_out.clear();
    w.complete_calls.clear();
    let mut aheads = Vec::new();
    for (_, a) in pending {
        if w.rng.unit() < 0.5 {
            continue;
        }
        match a {
            crate::world::Arrival::Part {
                upload,
                part,
                range,
                ..
            } => {
                w.store.put_part(&upload, part, range);
            }
            crate::world::Arrival::Single {
                key, file, size, ..
            } => {
                w.store.objects.insert(key, vec![(file, 0, size)]);
            }
            crate::world::Arrival::Ahead(a) => aheads.push((a.upload, a.parts, a.pending)),
            crate::world::Arrival::Deliver(_) => {}
        }
    }
    // A signer waiting for a complete's pending parts goes on without the
    // page: it completes if they landed.
    for (upload, parts, pending) in aheads {
        if let Ok(parts) = w.store.with_pending(&upload, parts, &pending) {
            let _ = w.store.complete(&upload, &parts);
        }
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
