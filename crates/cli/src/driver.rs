//! The native driver: one task owns the engine, feeds it events with the
//! wall clock, performs the actions it drains (signer calls and store
//! requests as tokio tasks, resume records in the state file, progress on
//! the report), and ticks it at `poll_timeout`. Every decision (retries,
//! scheduling, plans, signing windows, batching, confirm) is the engine's.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use s3lift_engine::{Action, Engine, Event, Failure, FileId, FileSpec, RequestId, UploadError};
use s3lift_protocol::error_code::ErrorCode;
use tokio::sync::mpsc;

use crate::inputs::Input;
use crate::report::{Finished, Report};
use crate::signer::Signer;
use crate::state::StateFile;
use crate::store;

/// What a request task reports.
enum Msg {
    /// Bytes of a store request's body sent so far.
    Sent(RequestId, u64),
    /// A part's digest (`None`: unreadable).
    Digested(Event),
    /// The request is over: the event that says how, or the file (and
    /// why) when its bytes could not be read.
    Done(RequestId, Result<Event, (FileId, String)>),
}

/// One file of the run.
struct Entry {
    input: Input,
    /// Store requests sent for it by this run.
    store_requests: u64,
}

/// How a run ended.
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    /// Every file finished (uploaded or failed).
    Done,
    /// Ctrl-C: requests were dropped, the state file keeps the uploads.
    Interrupted,
}

pub struct Driver {
    engine: Engine,
    files: HashMap<FileId, Entry>,
    tasks: HashMap<RequestId, tokio::task::AbortHandle>,
    tx: mpsc::UnboundedSender<Msg>,
    rx: mpsc::UnboundedReceiver<Msg>,
    signer: Arc<Signer>,
    state: StateFile,
    state_warned: bool,
    /// Files stopped because they could not be read, and why.
    unreadable: HashMap<FileId, String>,
    pub report: Report,
}

/// The engine's clock: ms since the epoch (resume records are dated with it).
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Driver {
    pub fn new(engine: Engine, signer: Signer, state: StateFile, report: Report) -> Driver {
        let (tx, rx) = mpsc::unbounded_channel();
        Driver {
            engine,
            files: HashMap::new(),
            tasks: HashMap::new(),
            tx,
            rx,
            signer: Arc::new(signer),
            state,
            state_warned: false,
            unreadable: HashMap::new(),
            report,
        }
    }

    /// Hands `inputs` to the engine, each with its fingerprint and the
    /// record an earlier run saved for it.
    pub fn add(&mut self, inputs: Vec<Input>) {
        let now = now_ms();
        for (i, input) in inputs.into_iter().enumerate() {
            let id = FileId(i as u64 + 1);
            let fingerprint = s3lift_protocol::resume::fingerprint(
                &input.canonical,
                input.size,
                input.mtime_ms,
                &input.content_type,
                &self.signer.endpoint,
            );
            let mut metadata = s3lift_protocol::map::Map::new();
            // Uppy's name for it, kept for readers of the metadata.
            metadata.insert("relativePath".to_owned(), input.name.clone());
            let spec = FileSpec {
                id,
                name: input.name.clone(),
                size: input.size,
                content_type: input.content_type.clone(),
                metadata,
                resume: self.state.get(&fingerprint),
                fingerprint: Some(fingerprint),
                // A file found in a directory: its key keeps the folders
                // (the signer sanitizes the path; Companion ignores it).
                relative_path: input.name.contains('/').then(|| input.name.clone()),
            };
            self.files.insert(
                id,
                Entry {
                    input,
                    store_requests: 0,
                },
            );
            self.engine.handle(now, Event::Add(spec));
        }
    }

    /// Runs until every file has finished, or until Ctrl-C.
    pub async fn run(&mut self) -> End {
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        loop {
            while let Some(action) = self.engine.poll_action() {
                self.perform(action);
            }
            if self.files.is_empty() {
                return End::Done;
            }
            let wait = self
                .engine
                .poll_timeout()
                .map(|at| Duration::from_millis(at.saturating_sub(now_ms())));
            let timer = async {
                match wait {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                msg = self.rx.recv() => {
                    if let Some(msg) = msg {
                        self.on_msg(msg);
                    }
                    while let Ok(msg) = self.rx.try_recv() {
                        self.on_msg(msg);
                    }
                }
                () = timer => self.engine.handle(now_ms(), Event::Tick),
                _ = &mut ctrl_c => {
                    for (_, task) in self.tasks.drain() {
                        task.abort();
                    }
                    return End::Interrupted;
                }
            }
        }
    }

    /// Uploads the state file still holds (to resume).
    pub fn unfinished(&self) -> usize {
        self.files.len()
    }

    fn on_msg(&mut self, msg: Msg) {
        match msg {
            Msg::Digested(event) => self.engine.handle(now_ms(), event),
            Msg::Sent(id, bytes) => {
                if self.tasks.contains_key(&id) {
                    self.engine.handle(now_ms(), Event::Sent { id, bytes });
                }
            }
            // A request the engine stopped is forgotten: its answer is dropped.
            Msg::Done(id, outcome) => {
                if self.tasks.remove(&id).is_none() {
                    return;
                }
                match outcome {
                    Ok(event) => self.engine.handle(now_ms(), event),
                    // Bytes that cannot be read cannot be uploaded: the file
                    // stops (a multipart upload is aborted) and says why.
                    Err((file, why)) => {
                        self.unreadable.entry(file).or_insert(why);
                        self.engine.handle(now_ms(), Event::Cancel(file));
                    }
                }
            }
        }
    }

    fn spawn<F>(&mut self, id: RequestId, fut: F)
    where
        F: std::future::Future<Output = Result<Event, (FileId, String)>> + Send + 'static,
    {
        let tx = self.tx.clone();
        let handle = tokio::spawn(async move {
            let event = fut.await;
            let _ = tx.send(Msg::Done(id, event));
        });
        self.tasks.insert(id, handle.abort_handle());
    }

    fn on_sent(&self, id: RequestId) -> store::OnSent {
        let tx = self.tx.clone();
        Arc::new(move |bytes| {
            let _ = tx.send(Msg::Sent(id, bytes));
        })
    }

    fn perform(&mut self, action: Action) {
        match action {
            Action::SendPart {
                id,
                file,
                url,
                headers,
                start,
                end,
                ..
            } => {
                let Some(e) = self.files.get_mut(&file) else {
                    return;
                };
                e.store_requests += 1;
                let (path, size) = (e.input.path.clone(), e.input.size);
                let http = self.signer.http.clone();
                let on_sent = self.on_sent(id);
                self.spawn(id, async move {
                    let src = store::Source {
                        path: &path,
                        size,
                        on_sent,
                    };
                    let r = store::send_part(&http, &url, headers, src, (start, end)).await;
                    stored(id, file, r)
                });
            }
            Action::SendSingle { id, file, params } => {
                let Some(e) = self.files.get_mut(&file) else {
                    return;
                };
                e.store_requests += 1;
                let (path, size) = (e.input.path.clone(), e.input.size);
                let http = self.signer.http.clone();
                let on_sent = self.on_sent(id);
                self.spawn(id, async move {
                    let src = store::Source {
                        path: &path,
                        size,
                        on_sent,
                    };
                    stored(id, file, store::send_single(&http, params, src).await)
                });
            }
            Action::CancelRequest { id } => {
                if let Some(task) = self.tasks.remove(&id) {
                    task.abort();
                }
            }
            Action::Digest {
                file,
                part,
                start,
                end,
                algorithm,
            } => {
                // `--checksum crc64nvme`: the part is read from disk and
                // digested off the runtime's threads; the engine combines
                // the parts' values into the whole file's. MD5: a resumed
                // upload's stored parts, checked against the file.
                let path = self.files.get(&file).map(|e| e.input.path.clone());
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let value = match (path, algorithm) {
                        (Some(p), s3lift_protocol::wire::ChecksumAlgorithm::Crc64nvme) => {
                            crate::store::crc64_of(&p, start, end).ok()
                        }
                        (Some(p), s3lift_protocol::wire::ChecksumAlgorithm::Md5) => {
                            crate::store::md5_of(&p, start, end).ok()
                        }
                        _ => None,
                    };
                    let _ = tx.send(Msg::Digested(Event::Digested { file, part, value }));
                });
            }
            Action::SaveResume { record, .. } => {
                let r = self.state.save(record);
                self.state_result(r);
            }
            Action::ForgetResume { fingerprint, .. } => {
                let r = self.state.forget(&fingerprint);
                self.state_result(r);
            }
            Action::Progress { file, progress } => {
                if let Some(e) = self.files.get(&file) {
                    let name = e.input.name.clone();
                    self.report
                        .progress(file, &name, progress.bytes_sent, progress.total_bytes);
                }
            }
            Action::PartStored { .. } => {}
            Action::Restarted { file, .. } => {
                if let Some(e) = self.files.get(&file) {
                    let line = [
                        "s3lift: ",
                        &e.input.name,
                        " changed since its upload started (its stored parts are of other bytes); starting it over",
                    ]
                    .concat();
                    self.report.eprintln(&line);
                }
            }
            Action::Finished { file, result } => {
                let result = match (result, self.unreadable.remove(&file)) {
                    (Err(_), Some(why)) => Err(UploadError::new(
                        ErrorCode::ReadFailed,
                        format!("The file could not be read ({why})"),
                    )),
                    (result, _) => result,
                };
                if let Some(e) = self.files.remove(&file) {
                    let path = e.input.path.to_string_lossy();
                    let f = Finished {
                        path: &path,
                        size: e.input.size,
                        store_requests: e.store_requests,
                    };
                    self.report.finished(file, f, &result);
                }
            }
            call => {
                let Some(id) = signer_id(&call) else { return };
                let signer = self.signer.clone();
                self.spawn(id, async move {
                    Ok(match signer.call(&call).await {
                        Some(Ok(answer)) => Event::Signer { id, answer },
                        Some(Err(failure)) => Event::Failed { id, failure },
                        None => Event::Failed {
                            id,
                            failure: Failure::network(),
                        },
                    })
                });
            }
        }
    }

    fn state_result(&mut self, r: std::io::Result<()>) {
        if let Err(e) = r {
            if !std::mem::replace(&mut self.state_warned, true) {
                self.report.eprintln(&format!(
                    "warning: cannot write the state file ({}); a killed run will start over",
                    e.kind()
                ));
            }
        }
    }
}

fn stored(id: RequestId, file: FileId, r: store::Stored) -> Result<Event, (FileId, String)> {
    match r {
        store::Stored::Ok(etag) => Ok(Event::Stored { id, etag }),
        store::Stored::Failed(failure) => Ok(Event::Failed { id, failure }),
        store::Stored::Unreadable(why) => Err((file, why)),
    }
}

/// The request id of a signer call.
fn signer_id(a: &Action) -> Option<RequestId> {
    Some(match a {
        Action::SignParamsBatch { id, .. }
        | Action::Confirm { id, .. }
        | Action::SignParams { id, .. }
        | Action::CreateMultipart { id, .. }
        | Action::SignParts { id, .. }
        | Action::SignPart { id, .. }
        | Action::ListParts { id, .. }
        | Action::Complete { id, .. }
        | Action::Abort { id, .. } => *id,
        _ => return None,
    })
}
