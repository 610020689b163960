//! Rules of signing single files ahead of their sends.

use super::*;

/// The params batches in `out`: their ids and files.
fn batches(out: &[Action]) -> Vec<(RequestId, Vec<FileId>)> {
    out.iter()
        .filter_map(|a| match a {
            Action::SignParamsBatch { id, files } => {
                Some((*id, files.iter().map(|p| p.file).collect()))
            }
            _ => None,
        })
        .collect()
}

/// Answers a batch with fresh params for each of its files; the sends that follow.
fn answer(t: &mut T, (id, files): &(RequestId, Vec<FileId>)) -> Vec<Action> {
    let items = files
        .iter()
        .map(|f| Ok(params(Some(&format!("a/{}.txt", f.0)), None, Some(900))))
        .collect();
    t.signer(*id, SignerAnswer::ParamsBatch(items))
}

#[test]
fn small_files_are_signed_a_window_ahead_of_their_sends_not_all_at_once() {
    let mut t = T::new(6);
    for f in 1..=1000 {
        t.e.handle(t.now, Event::Add(spec(f, 100)));
    }
    let out: Vec<Action> = std::iter::from_fn(|| t.e.poll_action()).collect();
    let first = batches(&out);
    let signing: usize = first.iter().map(|(_, f)| f.len()).sum();
    assert_eq!(signing, 300, "three batches ahead, not all 1,000 files");
    let mut live = Vec::new();
    for b in &first {
        let out = answer(&mut t, b);
        assert!(batches(&out).is_empty(), "nothing more while 300 wait");
        live.extend(single_sends(&out));
    }
    assert_eq!(live.len(), 6, "one send per slot");
    // Each stored file frees a slot for a signed one; once only 200 signed
    // files wait, the next whole batch is asked for.
    let mut stored = 0;
    let next = loop {
        let id = live.remove(0);
        let out = t.ev(Event::Stored {
            id,
            etag: Some("\"e\"".into()),
        });
        stored += 1;
        live.extend(single_sends(&out));
        let b = batches(&out);
        if !b.is_empty() {
            break b;
        }
        assert!(stored < 300, "signing never resumed");
    };
    // 300 signed: 6 sending, the rest waiting. The batch is asked for once
    // no more than 200 wait (95 stored, 5 sending before the freed slot's send).
    assert_eq!(stored, 95, "asked for when the window has room for a batch");
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].1.len(), 100);
    assert_eq!(next[0].1[0], FileId(301), "the files in queue order");
}
