//! A misbehaving network between the phone and the object store: an HTTP/1.1 proxy on loopback
//! that, per request and from a seeded generator, passes it through or drops the connection
//! mid-request, answers 500 or 503, stalls past the client's timeout, truncates the response,
//! or lets the store apply the request and then loses the answer.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// What the proxy did, by kind.
#[derive(Debug, Default)]
pub struct FaultCounts {
    pub passed: AtomicU64,
    pub dropped_mid_request: AtomicU64,
    pub http_500: AtomicU64,
    pub http_503: AtomicU64,
    pub stalled: AtomicU64,
    pub truncated_response: AtomicU64,
    pub lost_response: AtomicU64,
}

impl FaultCounts {
    /// Every injected fault.
    pub fn faults(&self) -> u64 {
        [
            &self.dropped_mid_request,
            &self.http_500,
            &self.http_503,
            &self.stalled,
            &self.truncated_response,
            &self.lost_response,
        ]
        .iter()
        .map(|c| c.load(Ordering::Relaxed))
        .sum()
    }

    pub fn summary(&self) -> String {
        format!(
            "passed {}, dropped mid-request {}, 500 {}, 503 {}, stalled {}, truncated {}, lost response {}",
            self.passed.load(Ordering::Relaxed),
            self.dropped_mid_request.load(Ordering::Relaxed),
            self.http_500.load(Ordering::Relaxed),
            self.http_503.load(Ordering::Relaxed),
            self.stalled.load(Ordering::Relaxed),
            self.truncated_response.load(Ordering::Relaxed),
            self.lost_response.load(Ordering::Relaxed),
        )
    }
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    Pass,
    DropMidRequest,
    Http500,
    Http503,
    Stall,
    TruncateResponse,
    LoseResponse,
}

/// The running proxy; stops when dropped.
#[derive(Debug)]
pub struct FaultProxy {
    pub addr: SocketAddr,
    pub counts: Arc<FaultCounts>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

struct Plan {
    rng: Mutex<u64>,
    fault_rate: f64,
    stall: Duration,
}

impl Plan {
    fn next(&self) -> u64 {
        let mut s = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        *s
    }

    fn pick(&self) -> Fault {
        let roll = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        if roll >= self.fault_rate {
            return Fault::Pass;
        }
        // Stalls cost a client timeout each: keep them rare.
        match self.next() % 100 {
            0..=19 => Fault::DropMidRequest,
            20..=38 => Fault::Http500,
            39..=57 => Fault::Http503,
            58..=59 => Fault::Stall,
            60..=79 => Fault::TruncateResponse,
            _ => Fault::LoseResponse,
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Reads the request head and as much of the body as `Content-Length` says (or `limit` of it).
fn read_request(client: &mut TcpStream) -> Option<(Vec<u8>, usize)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
        let n = client.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    Some((buf, head_end + length))
}

fn read_to(client: &mut TcpStream, buf: &mut Vec<u8>, total: usize) -> bool {
    let mut chunk = [0u8; 64 * 1024];
    while buf.len() < total {
        match client.read(&mut chunk) {
            Ok(0) | Err(_) => return false,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    true
}

/// Sends the request upstream with `Connection: close` and reads the whole answer.
fn forward(upstream: SocketAddr, request: &[u8]) -> Option<Vec<u8>> {
    let head_end = find(request, b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&request[..head_end - 4]);
    let mut rewritten: String = head
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .collect::<Vec<_>>()
        .join("\r\n");
    rewritten.push_str("\r\nConnection: close\r\n\r\n");
    let mut up = TcpStream::connect_timeout(&upstream, Duration::from_secs(5)).ok()?;
    up.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
    up.write_all(rewritten.as_bytes()).ok()?;
    up.write_all(&request[head_end..]).ok()?;
    let mut response = Vec::new();
    up.read_to_end(&mut response).ok()?;
    Some(response)
}

fn handle(mut client: TcpStream, upstream: SocketAddr, plan: &Plan, counts: &FaultCounts) {
    let _ = client.set_read_timeout(Some(Duration::from_secs(30)));
    let Some((mut request, total)) = read_request(&mut client) else { return };
    let fault = plan.pick();
    if let Fault::DropMidRequest = fault {
        read_to(&mut client, &mut request, total / 2);
        counts.dropped_mid_request.fetch_add(1, Ordering::Relaxed);
        let _ = client.shutdown(Shutdown::Both);
        return;
    }
    if !read_to(&mut client, &mut request, total) {
        return;
    }
    let canned =
        |code: &str| format!("HTTP/1.1 {code}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    match fault {
        Fault::Http500 => {
            counts.http_500.fetch_add(1, Ordering::Relaxed);
            let _ = client.write_all(canned("500 Internal Server Error").as_bytes());
        }
        Fault::Http503 => {
            counts.http_503.fetch_add(1, Ordering::Relaxed);
            let _ = client.write_all(canned("503 Service Unavailable").as_bytes());
        }
        Fault::Stall => {
            counts.stalled.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(plan.stall);
        }
        Fault::Pass | Fault::TruncateResponse | Fault::LoseResponse | Fault::DropMidRequest => {
            let Some(response) = forward(upstream, &request[..total]) else { return };
            match fault {
                Fault::TruncateResponse => {
                    counts.truncated_response.fetch_add(1, Ordering::Relaxed);
                    let _ = client.write_all(&response[..response.len() / 2]);
                }
                Fault::LoseResponse => {
                    counts.lost_response.fetch_add(1, Ordering::Relaxed);
                }
                _ => {
                    counts.passed.fetch_add(1, Ordering::Relaxed);
                    let _ = client.write_all(&response);
                }
            }
        }
    }
    let _ = client.shutdown(Shutdown::Both);
}

impl FaultProxy {
    /// Proxies to `upstream`; a `fault_rate` share of requests get a fault.
    pub fn start(upstream: SocketAddr, fault_rate: f64, stall: Duration, seed: u64) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        listener.set_nonblocking(true).expect("nonblocking");
        let counts = Arc::new(FaultCounts::default());
        let stop = Arc::new(AtomicBool::new(false));
        let plan = Arc::new(Plan { rng: Mutex::new(seed | 1), fault_rate, stall });
        let thread = {
            let (counts, stop) = (counts.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((client, _)) => {
                            let _ = client.set_nonblocking(false);
                            let (plan, counts) = (plan.clone(), counts.clone());
                            std::thread::spawn(move || handle(client, upstream, &plan, &counts));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(2)),
                    }
                }
            })
        };
        Self { addr, counts, stop, thread: Some(thread) }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
