//! The only concurrency and deadline code: every job runs concurrently under one overall
//! deadline; a job that has not finished by then is reported as `None`, never lost.

use std::future::Future;
use std::pin::Pin;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// A boxed job.
pub type Job<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Runs all jobs concurrently until they finish or `deadline` passes. The result has one slot
/// per job, in job order: `Some` when it finished, `None` when the deadline cut it off.
pub async fn fan_out<T: Send + 'static>(jobs: Vec<Job<T>>, deadline: Instant) -> Vec<Option<T>> {
    let mut slots: Vec<Option<T>> = Vec::with_capacity(jobs.len());
    slots.resize_with(jobs.len(), || None);
    let mut set = JoinSet::new();
    for (i, job) in jobs.into_iter().enumerate() {
        set.spawn(async move { (i, job.await) });
    }
    loop {
        match tokio::time::timeout_at(deadline, set.join_next()).await {
            Ok(Some(Ok((i, value)))) => {
                if let Some(slot) = slots.get_mut(i) {
                    *slot = Some(value);
                }
            }
            // A panicking job leaves its slot empty: it is reported like a timeout.
            Ok(Some(Err(_))) => {}
            Ok(None) => break,
            Err(_) => {
                set.abort_all();
                break;
            }
        }
    }
    slots
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn unfinished_jobs_are_none_and_the_deadline_holds() {
        let jobs: Vec<Job<u32>> = vec![
            Box::pin(async { 1 }),
            Box::pin(async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                2
            }),
            Box::pin(async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                3
            }),
        ];
        let start = std::time::Instant::now();
        let out = fan_out(jobs, Instant::now() + Duration::from_millis(200)).await;
        assert_eq!(out, vec![Some(1), None, Some(3)]);
        assert!(start.elapsed() < Duration::from_millis(1000));
    }

    #[tokio::test]
    async fn jobs_run_concurrently() {
        let jobs: Vec<Job<()>> = (0..50)
            .map(|_| -> Job<()> { Box::pin(tokio::time::sleep(Duration::from_millis(100))) })
            .collect();
        let start = std::time::Instant::now();
        let out = fan_out(jobs, Instant::now() + Duration::from_secs(5)).await;
        assert!(out.iter().all(Option::is_some));
        assert!(start.elapsed() < Duration::from_millis(1000));
    }
}
