//! WAL checkpoints off the request path. Pooled connections run with `wal_autocheckpoint=0`,
//! so no request's commit ever copies the log back into the database (and fsyncs it) on the
//! client's time. Instead one background thread, every [`EVERY`], runs a `PASSIVE` checkpoint
//! of each database file (it copies what no reader still needs and never waits), and a
//! `TRUNCATE` one when a log has grown past [`TRUNCATE_ABOVE`] (it waits briefly for readers,
//! then empties the log), so the log cannot grow without bound. When the runtime stops, a
//! last `TRUNCATE` checkpoint leaves every database whole in its main file.
//!
//! Durability is what WAL with `synchronous=NORMAL` promises: a committed transaction is in
//! the log before the commit returns and survives a process kill; the checkpoint is only
//! about how long the log gets.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the logs are checkpointed.
const EVERY: Duration = Duration::from_millis(500);
/// A log larger than this is truncated, not only copied back.
const TRUNCATE_ABOVE: u64 = 64 * 1024 * 1024;

/// The background checkpointing thread; dropping it runs the last checkpoint and waits.
pub struct Checkpointer {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts checkpointing the databases at `paths` (each opened when its file exists).
    pub fn start(paths: Vec<PathBuf>) -> std::io::Result<Checkpointer> {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let signal = stop.clone();
        let thread = std::thread::Builder::new()
            .name("crm-host-checkpoint".into())
            .spawn(move || {
                let mut files: Vec<WalFile> = paths.into_iter().map(WalFile::new).collect();
                let (stopped, wake) = &*signal;
                let mut done = stopped.lock().unwrap_or_else(|e| e.into_inner());
                while !*done {
                    done = wake.wait_timeout(done, EVERY).unwrap_or_else(|e| e.into_inner()).0;
                    let last = *done;
                    drop(done);
                    for file in &mut files {
                        file.checkpoint(last);
                    }
                    done = stopped.lock().unwrap_or_else(|e| e.into_inner());
                }
            })?;
        Ok(Checkpointer {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let (stopped, wake) = &*self.stop;
        *stopped.lock().unwrap_or_else(|e| e.into_inner()) = true;
        wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One database file and the connection that checkpoints it.
struct WalFile {
    path: PathBuf,
    conn: Option<rusqlite::Connection>,
}

impl WalFile {
    fn new(path: PathBuf) -> WalFile {
        WalFile { path, conn: None }
    }

    /// One checkpoint: `TRUNCATE` when `last` or the log is large, else `PASSIVE`. Failures are
    /// reported and retried next time (a busy database is normal).
    fn checkpoint(&mut self, last: bool) {
        let wal = wal_path(&self.path);
        let Ok(size) = std::fs::metadata(&wal).map(|m| m.len()) else {
            return; // no log (yet): nothing to do
        };
        if size == 0 && !last {
            return;
        }
        if self.conn.is_none() {
            match rusqlite::Connection::open(&self.path) {
                Ok(conn) => {
                    let _ = conn.busy_timeout(Duration::from_millis(if last { 5000 } else { 200 }));
                    self.conn = Some(conn);
                }
                Err(e) => return eprintln!("checkpoint: cannot open {}: {e}", self.path.display()),
            }
        }
        let mode = if last || size > TRUNCATE_ABOVE {
            "TRUNCATE"
        } else {
            "PASSIVE"
        };
        if let Some(conn) = &self.conn
            && let Err(e) = conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |_| Ok(()))
            && !matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy))
        {
            eprintln!("checkpoint of {} failed: {e}", self.path.display());
        }
    }
}

/// `<db>-wal`, where SQLite keeps a database's write-ahead log.
fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}
