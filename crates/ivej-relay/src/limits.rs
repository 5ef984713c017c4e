//! Token buckets and connection counts: what keeps one client, or one address, from
//! taking the relay for itself.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A token bucket: `rate` tokens a second, at most `burst` saved up.
#[derive(Debug, Clone)]
pub struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    pub fn new(rate: f64, burst: f64) -> Bucket {
        Bucket {
            rate,
            burst,
            tokens: burst,
            at: Instant::now(),
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.at = now;
    }

    /// Takes `cost` tokens, or says how long until they are there. A cost above the burst
    /// is taken once the bucket is full, leaving it in debt: one large bundle is allowed,
    /// and then nothing until the debt is paid.
    pub fn take(&mut self, cost: f64, now: Instant) -> Result<(), Duration> {
        self.refill(now);
        let needed = cost.min(self.burst);
        if self.tokens >= needed {
            self.tokens -= cost;
            Ok(())
        } else {
            let wait = (needed - self.tokens) / self.rate;
            Err(Duration::from_secs_f64(wait.max(0.001)))
        }
    }
}

/// Per address: how many connections are open, and how fast new ones come.
#[derive(Debug)]
pub struct PerAddress {
    table: Mutex<HashMap<IpAddr, (usize, Bucket)>>,
    max_connections: usize,
    rate: f64,
    burst: f64,
}

/// One open connection of an address; counted until dropped.
#[derive(Debug)]
pub struct AddressSlot {
    table: Arc<PerAddress>,
    ip: IpAddr,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut table = self.table.table.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((count, _)) = table.get_mut(&self.ip) {
            *count = count.saturating_sub(1);
        }
    }
}

impl PerAddress {
    pub fn new(max_connections: usize, rate: f64, burst: f64) -> Arc<PerAddress> {
        Arc::new(PerAddress {
            table: Mutex::new(HashMap::new()),
            max_connections,
            rate,
            burst,
        })
    }

    /// A slot for a new connection from `ip`, or how long it should wait.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<AddressSlot, Duration> {
        let now = Instant::now();
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        // Addresses with nothing open and a full bucket are forgotten, so the table holds
        // only addresses that are here or were here lately.
        if table.len() > 4096 {
            table.retain(|_, (count, bucket)| {
                bucket.refill(now);
                *count > 0 || bucket.tokens < bucket.burst
            });
        }
        let (count, bucket) = table
            .entry(ip)
            .or_insert_with(|| (0, Bucket::new(self.rate, self.burst)));
        if *count >= self.max_connections {
            return Err(Duration::from_secs(5));
        }
        bucket.take(1.0, now)?;
        *count += 1;
        Ok(AddressSlot {
            table: self.clone(),
            ip,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_gives_its_burst_then_its_rate() {
        let start = Instant::now();
        let mut b = Bucket::new(10.0, 2.0);
        assert!(b.take(1.0, start).is_ok());
        assert!(b.take(1.0, start).is_ok());
        let wait = b.take(1.0, start).unwrap_err();
        assert!(wait <= Duration::from_millis(100));
        assert!(b.take(1.0, start + Duration::from_millis(100)).is_ok());
        // One large request when full, then a debt.
        let mut bytes = Bucket::new(1000.0, 1000.0);
        assert!(bytes.take(5000.0, start).is_ok());
        assert!(bytes.take(1.0, start + Duration::from_secs(1)).is_err());
        assert!(bytes.take(1.0, start + Duration::from_secs(5)).is_ok());
    }

    #[test]
    fn an_address_gets_so_many_connections_and_so_many_a_second() {
        let table = PerAddress::new(3, 1.0, 3.0);
        let ip: IpAddr = [192, 0, 2, 1].into();
        let slots: Vec<_> = (0..3).map(|_| table.admit(ip).unwrap()).collect();
        assert!(table.admit(ip).is_err());
        drop(slots);
        // Slots are free again, but the handshakes came too fast.
        assert!(table.admit(ip).is_err());
        assert!(table.admit([192, 0, 2, 2].into()).is_ok());
    }
}
