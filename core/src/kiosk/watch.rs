//! The idle lock's watchdog: a thread that locks the kiosk when nobody has touched it for the
//! idle time, and tells the shell so it can show the lock screen.

use super::{Kiosk, KioskError, LockReason};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the watchdog looks.
const TICK: Duration = Duration::from_millis(200);

/// A running watchdog; dropping it stops the thread.
#[derive(Debug)]
pub struct IdleWatch {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl IdleWatch {
    /// Starts watching `kiosk`; `on_lock` runs on the watchdog's thread each time it locks it.
    /// The watchdog holds the kiosk weakly and ends when the kiosk is dropped.
    pub fn start(
        kiosk: &Arc<Kiosk>,
        on_lock: impl Fn(LockReason) + Send + 'static,
    ) -> Result<Self, KioskError> {
        let weak: Weak<Kiosk> = Arc::downgrade(kiosk);
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("heirloom-idle-lock".into())
            .spawn(move || loop {
                match stopped.recv_timeout(TICK) {
                    Err(RecvTimeoutError::Timeout) => {}
                    _ => return,
                }
                let Some(kiosk) = weak.upgrade() else { return };
                if matches!(kiosk.lock_if_idle(), Ok(true)) {
                    on_lock(LockReason::Idle);
                }
            })
            // Without the watchdog the tablet would never lock itself: refuse, don't run on.
            .map_err(|_| KioskError::Internal { what: "starting the idle watchdog" })?;
        Ok(Self { stop: Some(stop), thread: Some(thread) })
    }

    /// Stops the watchdog and waits for its thread.
    pub fn stop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for IdleWatch {
    fn drop(&mut self) {
        self.stop();
    }
}
