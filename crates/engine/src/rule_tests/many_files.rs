//! Ten thousand files at once (a dropped folder): a scheduling pass looks
//! at the files under way, not at every file still queued.

use s3lift_protocol::wire::SingleCompleteResponse;

use super::*;

#[test]
fn a_pass_looks_at_the_files_under_way_not_every_queued_file() {
    const FILES: u64 = 10_000;
    let mut t = T::new(6);
    for i in 1..=FILES {
        t.e.handle(0, Event::Add(spec(i, 4096)));
    }
    // Every request answered at once, one answer per event, as a browser
    // delivers them.
    let mut answers = std::collections::VecDeque::new();
    let mut done = 0;
    loop {
        while let Some(a) = t.e.poll_action() {
            match a {
                Action::SignParamsBatch { id, files } => {
                    let items = files
                        .iter()
                        .map(|f| Ok(params(Some(&format!("k{}", f.file.0)), None, Some(3600))))
                        .collect();
                    answers.push_back(Event::Signer {
                        id,
                        answer: SignerAnswer::ParamsBatch(items),
                    });
                }
                Action::SendSingle { id, .. } => answers.push_back(Event::Stored {
                    id,
                    etag: Some("\"e\"".into()),
                }),
                Action::Confirm { id, keys, .. } => {
                    let items = keys
                        .into_iter()
                        .map(|key| {
                            Ok(SingleCompleteResponse {
                                key,
                                bucket: "b".into(),
                                location: "l".into(),
                                etag: "e".into(),
                                size: 4096,
                                checksum: None,
                            })
                        })
                        .collect();
                    answers.push_back(Event::Signer {
                        id,
                        answer: SignerAnswer::Confirmed(items),
                    });
                }
                Action::Finished { result, .. } => {
                    assert!(result.is_ok(), "{result:?}");
                    done += 1;
                }
                _ => {}
            }
        }
        let Some(ev) = answers.pop_front() else { break };
        t.now += 1;
        t.e.handle(t.now, ev);
    }
    assert_eq!(done, FILES);
    // About 20,000 events: a pass over every live file would look at
    // about 10^8; the files under way are a few hundred at a time.
    let per_file = t.e.visits / FILES;
    eprintln!("{} files looked at per file", per_file);
    assert!(per_file < 2_000, "{} files looked at per file", per_file);
}
