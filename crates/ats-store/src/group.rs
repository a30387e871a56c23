//! Group commit for the intake: the claims and answers of concurrent calls
//! are written by one task in one transaction, so that a busy intake pays
//! for one commit per batch instead of one or two per call.
//!
//! On SQLite every commit appends the pages it changed to the write-ahead
//! log, and the log is copied back (with `fsync`) every thousand pages; the
//! calls of a batch share pages (the same index leaves, the same table
//! tail), so a batch writes far fewer than its calls would one by one
//! (figures in `docs/benchmarks.md`). Nothing is answered before its batch
//! is committed: a claim or an answer is as durable as without grouping.
//!
//! A batch is a handful of statements whatever its size: all its claims in
//! one `INSERT`, its answers in one statement per table (the intake rows,
//! the accepted orders, the log rows).
//!
//! A batch that fails (a statement error, a commit refused) is rolled back
//! and its operations are run again one by one, each in its own
//! transaction, so that one bad operation fails alone.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use ats_core::{OrderHandle, OrderRef};
use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};

use crate::activity::Activity;
use crate::error::StoreError;
use crate::intake::{
    IntakeKey, NewAnswer, NewClaim, OrderChange, StoredAnswer, answered, answers_script, claimed,
    claims_statement,
};
use crate::script::Script;

/// Most operations in one transaction: bounds the time the connection is
/// held while other store calls wait for it.
const MAX_BATCH: usize = 128;

/// The writer of grouped intake operations (one per store; its task starts
/// on first use and again if the runtime that ran it has gone).
pub(crate) struct GroupCommit {
    pool: AnyPool,
    /// SQLite: each batch is one command ([`Script::run_in_one_trip`]).
    one_trip: bool,
    sender: Mutex<Option<mpsc::UnboundedSender<Op>>>,
    counts: Arc<Counts>,
}

/// What the writer has done since the store was built
/// ([`Store::group_commit_stats`](crate::Store::group_commit_stats)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupCommitStats {
    /// Transactions committed by the writer (batches, and operations
    /// written alone).
    pub commits: u64,
    /// Claims and answers written.
    pub operations: u64,
    /// Batches that failed and whose operations were written again one by
    /// one.
    pub batches_split: u64,
}

#[derive(Default)]
struct Counts {
    commits: AtomicU64,
    operations: AtomicU64,
    batches_split: AtomicU64,
    /// Writer tasks alive (0 or 1; a writer ends when its store is gone).
    writers: AtomicU64,
}

/// Counts a writer alive while it is held.
struct Alive(Arc<Counts>);

impl Alive {
    fn new(counts: Arc<Counts>) -> Self {
        counts.writers.fetch_add(1, Ordering::Relaxed);
        Self(counts)
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.writers.fetch_sub(1, Ordering::Relaxed);
    }
}

/// [`OrderChange`] with its data owned, to cross into the writer task.
enum Change {
    None,
    Accepted(Box<OrderHandle>),
    Cancelled(OrderRef),
}

impl Change {
    fn of(change: OrderChange<'_>) -> Self {
        match change {
            OrderChange::None => Self::None,
            OrderChange::Accepted(handle) => Self::Accepted(Box::new(handle.clone())),
            OrderChange::Cancelled(order) => Self::Cancelled(order.clone()),
        }
    }

    fn as_ref(&self) -> OrderChange<'_> {
        match self {
            Self::None => OrderChange::None,
            Self::Accepted(handle) => OrderChange::Accepted(handle),
            Self::Cancelled(order) => OrderChange::Cancelled(order),
        }
    }
}

enum Work {
    Claim {
        key: IntakeKey,
        operation: String,
        until: i64,
        now: i64,
    },
    Answer(Box<AnswerWork>),
}

struct AnswerWork {
    key: IntakeKey,
    answer: StoredAnswer,
    change: Change,
    log: Option<Activity>,
    now: i64,
}

enum Done {
    Claimed(bool),
    Answered(Option<i64>),
}

struct Op {
    work: Work,
    reply: oneshot::Sender<Result<Done, StoreError>>,
}

impl GroupCommit {
    pub(crate) fn new(pool: AnyPool, one_trip: bool) -> Self {
        Self {
            pool,
            one_trip,
            sender: Mutex::new(None),
            counts: Arc::default(),
        }
    }

    pub(crate) fn stats(&self) -> GroupCommitStats {
        GroupCommitStats {
            commits: self.counts.commits.load(Ordering::Relaxed),
            operations: self.counts.operations.load(Ordering::Relaxed),
            batches_split: self.counts.batches_split.load(Ordering::Relaxed),
        }
    }

    /// A claim's insert, grouped: whether the row was inserted.
    pub(crate) async fn claim(
        &self,
        key: &IntakeKey,
        operation: &str,
        until: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let work = Work::Claim {
            key: key.clone(),
            operation: operation.to_owned(),
            until,
            now,
        };
        match self.submit(work).await? {
            Done::Claimed(inserted) => Ok(inserted),
            Done::Answered(_) => Err(mixed_up()),
        }
    }

    /// An answer's writes, in a grouped transaction.
    pub(crate) async fn answer(
        &self,
        key: &IntakeKey,
        answer: &StoredAnswer,
        change: OrderChange<'_>,
        log: Option<&Activity>,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let work = Work::Answer(Box::new(AnswerWork {
            key: key.clone(),
            answer: answer.clone(),
            change: Change::of(change),
            log: log.cloned(),
            now,
        }));
        match self.submit(work).await? {
            Done::Answered(order) => Ok(order),
            Done::Claimed(_) => Err(mixed_up()),
        }
    }

    async fn submit(&self, work: Work) -> Result<Done, StoreError> {
        let (reply, answer) = oneshot::channel();
        let mut op = Op { work, reply };
        // at most twice: a sender whose task has just gone is replaced
        for _ in 0..2 {
            let sender = self.sender()?;
            match sender.send(op) {
                Ok(()) => {
                    return answer.await.unwrap_or_else(|_| Err(writer_gone()));
                }
                Err(mpsc::error::SendError(back)) => op = back,
            }
        }
        Err(writer_gone())
    }

    /// The live writer's sender, starting the writer (on the caller's tokio
    /// runtime) when there is none.
    fn sender(&self) -> Result<mpsc::UnboundedSender<Op>, StoreError> {
        let mut slot = self.sender.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(sender) = slot.as_ref().filter(|s| !s.is_closed()) {
            return Ok(sender.clone());
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            StoreError::Config("the store's intake writer needs a tokio runtime".into())
        })?;
        // unbounded, yet no longer than the calls in flight: each entry is
        // a caller waiting for its answer
        let (sender, receiver) = mpsc::unbounded_channel();
        runtime.spawn(writer(
            self.pool.clone(),
            self.one_trip,
            receiver,
            self.counts.clone(),
        ));
        *slot = Some(sender.clone());
        Ok(sender)
    }
}

/// The writer: takes whatever is queued (up to [`MAX_BATCH`]), writes it
/// in one transaction, answers each caller, and waits for more.
async fn writer(
    pool: AnyPool,
    one_trip: bool,
    mut queue: mpsc::UnboundedReceiver<Op>,
    counts: Arc<Counts>,
) {
    let _alive = Alive::new(counts.clone());
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // 0: every sender is gone (the store was dropped)
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let ops = std::mem::take(&mut batch);
        let n = ops.len() as u64;
        if n > 1 {
            match write_batch(&pool, one_trip, &ops).await {
                Ok(done) => {
                    counts.commits.fetch_add(1, Ordering::Relaxed);
                    counts.operations.fetch_add(n, Ordering::Relaxed);
                    for (op, done) in ops.into_iter().zip(done) {
                        let _ = op.reply.send(Ok(done));
                    }
                    continue;
                }
                Err(e) => {
                    counts.batches_split.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(error = %e, ops = ops.len(), "an intake batch failed; writing its operations one by one");
                }
            }
        }
        for op in ops {
            let done = write_one(&pool, one_trip, &op.work).await;
            if done.is_ok() {
                counts.commits.fetch_add(1, Ordering::Relaxed);
                counts.operations.fetch_add(1, Ordering::Relaxed);
            }
            let _ = op.reply.send(done);
        }
    }
}

/// Writes `ops` in one transaction: all claims in one statement, all
/// answers in one statement per table; on SQLite, the whole transaction in
/// one trip to the connection's thread.
async fn write_batch(pool: &AnyPool, one_trip: bool, ops: &[Op]) -> Result<Vec<Done>, StoreError> {
    write(pool, one_trip, ops.iter().map(|op| &op.work)).await
}

async fn write_one(pool: &AnyPool, one_trip: bool, work: &Work) -> Result<Done, StoreError> {
    write(pool, one_trip, std::iter::once(work))
        .await?
        .into_iter()
        .next()
        .ok_or_else(mixed_up)
}

/// Each work's outcome, in the order given.
async fn write<'a>(
    pool: &AnyPool,
    one_trip: bool,
    works: impl Iterator<Item = &'a Work>,
) -> Result<Vec<Done>, StoreError> {
    let mut claims = Vec::new();
    let mut answers = Vec::new();
    let mut order = Vec::new();
    for work in works {
        match work {
            Work::Claim {
                key,
                operation,
                until,
                now,
            } => {
                order.push(true);
                claims.push(NewClaim {
                    key,
                    operation,
                    until: *until,
                    now: *now,
                });
            }
            Work::Answer(a) => {
                order.push(false);
                answers.push(NewAnswer {
                    key: &a.key,
                    answer: &a.answer,
                    change: a.change.as_ref(),
                    log: a.log.as_ref(),
                    now: a.now,
                });
            }
        }
    }
    let mut script = Script::default();
    if !claims.is_empty() {
        let (sql, params) = claims_statement(&claims);
        script.push(sql, params);
    }
    answers_script(&answers, &mut script)?;
    // one operation's script recurs: keep it prepared (a mistake here
    // costs speed only, which no test sees)
    let rows = script
        .run_as_transaction(pool, one_trip, order.len() == 1)
        .await?;
    let mut claimed = claimed(&claims, &rows)?.into_iter();
    let mut answered = answered(&answers, &rows)?.into_iter();
    order
        .into_iter()
        .map(|is_claim| {
            if is_claim {
                claimed.next().map(Done::Claimed)
            } else {
                answered.next().map(Done::Answered)
            }
            .ok_or_else(mixed_up)
        })
        .collect()
}

fn writer_gone() -> StoreError {
    StoreError::Database("the intake writer stopped (its runtime shut down)".into())
}

fn mixed_up() -> StoreError {
    StoreError::Database("the intake writer answered another kind of operation".into())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::future::Future as _;
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    use ats_core::{OrderHandle, TenantId};
    use sqlx::Row;
    use tokio::task::JoinSet;

    use crate::activity::{Activity, Flow};
    use crate::intake::{Claim, IntakeKey, OrderChange, StoredAnswer};
    use crate::{GroupCommitStats, Store};

    const LEASE: Duration = Duration::from_secs(60);

    fn key(n: usize) -> IntakeKey {
        IntakeKey::new("kombo", Some(&TenantId::new("acme")), format!("order:{n}"))
    }

    fn handle(n: usize, ids: bool) -> OrderHandle {
        let mut h = serde_json::json!({"provider": "kombo", "tenant": "acme"});
        if ids {
            h["vendor_assessment_id"] = format!("inv-{n}").into();
            h["provider_order_id"] = format!("po-{n}").into();
        }
        serde_json::from_value(h).unwrap()
    }

    /// An empty directory of its own (a file left by an earlier run that
    /// stopped half-way would change what the test finds), removed when
    /// dropped, even by a failing test.
    struct Scratch(std::path::PathBuf);

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn fresh_dir(name: &str) -> Scratch {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir =
            std::env::temp_dir().join(format!("ats-group-{name}-{}-{nanos}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// A 200 answer with `body`.
    fn answer_of(body: &str) -> StoredAnswer {
        StoredAnswer {
            status: 200,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        }
    }

    async fn rows(store: &Store, sql: &str) -> Vec<(String, String)> {
        sqlx::query(sql)
            .fetch_all(store.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1)))
            .collect()
    }

    /// On a current-thread runtime the spawned calls all queue before the
    /// writer runs: one batch, whatever the machine's speed.
    #[tokio::test(flavor = "current_thread")]
    async fn concurrent_calls_share_one_commit_and_a_bad_one_fails_alone() {
        let store = Store::in_memory().await.unwrap();
        assert_eq!(
            store.group_commit_stats(),
            Some(GroupCommitStats::default())
        );

        // twenty claims and a second copy of the first: one commit
        let mut claims = JoinSet::new();
        for n in (0..20).chain([0]) {
            let s = store.clone();
            claims
                .spawn(async move { (n, s.claim_intake(&key(n), "order", LEASE).await.unwrap()) });
        }
        let mut owners = vec![0; 20];
        let mut busy = 0;
        while let Some(done) = claims.join_next().await {
            match done.unwrap() {
                (n, Claim::Owner) => owners[n] += 1,
                (0, Claim::Busy) => busy += 1,
                other => panic!("unexpected claim {other:?}"),
            }
        }
        assert_eq!(owners, vec![1; 20]);
        assert_eq!(busy, 1);
        assert_eq!(
            store.group_commit_stats(),
            Some(GroupCommitStats {
                commits: 1,
                operations: 21,
                batches_split: 0
            })
        );

        // twenty answers, the eighth naming an order without ids (refused
        // by the orders table's key): the batch is split, the others stand
        let mut answers = JoinSet::new();
        for n in 0..20 {
            let s = store.clone();
            answers.spawn(async move {
                let h = handle(n, n != 7);
                let answer = answer_of(&format!("a{n}"));
                let mut log = Activity::new(chrono::Utc::now(), Flow::Inbound, "kombo", "order");
                log.order_id = Some(format!("po-{n}"));
                let r = s
                    .answer_intake(&key(n), &answer, OrderChange::Accepted(&h), Some(&log))
                    .await;
                (n, r)
            });
        }
        let mut failed = Vec::new();
        while let Some(done) = answers.join_next().await {
            let (n, r) = done.unwrap();
            match r {
                Ok(id) => assert!(id.is_some(), "order {n} saved"),
                Err(e) => failed.push((n, e.to_string())),
            }
        }
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert_eq!(failed[0].0, 7);
        assert!(
            failed[0].1.contains("vendor assessment id"),
            "{}",
            failed[0].1
        );
        assert_eq!(
            store.group_commit_stats(),
            Some(GroupCommitStats {
                commits: 20,
                operations: 40,
                batches_split: 1
            })
        );

        // the rows: every answer but the refused one, with its order and log
        let intake = rows(
            &store,
            "SELECT dedup_key, state FROM intake ORDER BY dedup_key",
        )
        .await;
        let mut want: Vec<(String, String)> = (0..20)
            .map(|n| {
                (
                    format!("order:{n}"),
                    if n == 7 { "open" } else { "answered" }.to_owned(),
                )
            })
            .collect();
        want.sort();
        assert_eq!(intake, want);
        let orders = rows(
            &store,
            "SELECT provider_order_id, status FROM orders ORDER BY provider_order_id",
        )
        .await;
        let mut want: Vec<(String, String)> = (0..20)
            .filter(|n| *n != 7)
            .map(|n| (format!("po-{n}"), "invited".to_owned()))
            .collect();
        want.sort();
        assert_eq!(orders, want);
        let log = rows(
            &store,
            "SELECT order_id, operation FROM activity ORDER BY order_id",
        )
        .await;
        let want: Vec<(String, String)> = orders
            .iter()
            .map(|(order, _)| (order.clone(), "order".to_owned()))
            .collect();
        assert_eq!(log, want, "one log row per answer written, none for po-7");
        // a copy of the refused call finds its claim still open
        assert_eq!(
            store.claim_intake(&key(7), "order", LEASE).await.unwrap(),
            Claim::Busy
        );
    }

    /// In one batch: orders accepted, then cancellations (by the vendor's
    /// id, by the provider's id, of an unknown order) and an answer that
    /// changes nothing; each caller gets its own order back.
    #[tokio::test(flavor = "current_thread")]
    async fn each_answer_of_a_batch_gets_its_own_order() {
        let store = Store::in_memory().await.unwrap();
        for n in 0..8 {
            assert_eq!(
                store.claim_intake(&key(n), "order", LEASE).await.unwrap(),
                Claim::Owner
            );
        }
        let answer = answer_of("{}");
        let mut ids = Vec::new();
        for n in 0..3 {
            let h = handle(n, true);
            let id = store
                .answer_intake(&key(n), &answer, OrderChange::Accepted(&h), None)
                .await;
            ids.push(id.unwrap().unwrap());
        }
        let before = store.group_commit_stats().unwrap();
        let changes = [
            (3, Some(ats_core::OrderRef::vendor("inv-2"))),
            (4, None),
            (5, Some(ats_core::OrderRef::provider("po-0"))),
            (6, Some(ats_core::OrderRef::provider("po-unknown"))),
        ];
        let mut answers = JoinSet::new();
        for (n, cancels) in changes.clone() {
            let (s, answer) = (store.clone(), answer.clone());
            answers.spawn(async move {
                let change = match &cancels {
                    Some(order) => OrderChange::Cancelled(order),
                    None => OrderChange::None,
                };
                (
                    n,
                    s.answer_intake(&key(n), &answer, change, None)
                        .await
                        .unwrap(),
                )
            });
        }
        let mut got = Vec::new();
        while let Some(done) = answers.join_next().await {
            got.push(done.unwrap());
        }
        got.sort();
        assert_eq!(
            got,
            vec![(3, Some(ids[2])), (4, None), (5, Some(ids[0])), (6, None)]
        );
        let after = store.group_commit_stats().unwrap();
        assert_eq!(
            (
                after.commits - before.commits,
                after.operations - before.operations
            ),
            (1, 4)
        );
        let orders = rows(
            &store,
            "SELECT provider_order_id, status FROM orders ORDER BY provider_order_id",
        )
        .await;
        assert_eq!(
            orders,
            [
                ("po-0", "cancelled"),
                ("po-1", "invited"),
                ("po-2", "cancelled")
            ]
            .map(|(o, s)| (o.to_owned(), s.to_owned()))
        );
    }

    /// A statement that fails inside a one-trip batch (here a trigger
    /// refusing one log row, after the batch's intake and order rows were
    /// written) rolls the batch back; the other calls are written alone and
    /// committed: a new store on the same file sees them.
    #[tokio::test(flavor = "current_thread")]
    async fn a_statement_failing_mid_batch_leaves_no_transaction_open() {
        let dir = fresh_dir("mid");
        let url = format!("sqlite://{}", dir.0.join("mid.db").display());
        let store = Store::connect(&url, crate::KeyRing::ephemeral())
            .await
            .unwrap();
        sqlx::query(
            "CREATE TRIGGER refuse BEFORE INSERT ON activity WHEN NEW.operation = 'boom' \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
        )
        .execute(store.pool())
        .await
        .unwrap();
        for n in 0..6 {
            assert_eq!(
                store.claim_intake(&key(n), "order", LEASE).await.unwrap(),
                Claim::Owner
            );
        }
        let before = store.group_commit_stats().unwrap();
        let mut answers = JoinSet::new();
        for n in 0..6 {
            let s = store.clone();
            answers.spawn(async move {
                let h = handle(n, true);
                let answer = answer_of("{}");
                let operation = if n == 2 { "boom" } else { "order" };
                let log = Activity::new(chrono::Utc::now(), Flow::Inbound, "kombo", operation);
                (
                    n,
                    s.answer_intake(&key(n), &answer, OrderChange::Accepted(&h), Some(&log))
                        .await,
                )
            });
        }
        while let Some(done) = answers.join_next().await {
            let (n, r) = done.unwrap();
            match r {
                Ok(_) => assert_ne!(n, 2),
                Err(e) => {
                    assert_eq!(n, 2);
                    assert!(e.to_string().contains("refused by the test"), "{e}");
                }
            }
        }
        let after = store.group_commit_stats().unwrap();
        assert_eq!(after.batches_split - before.batches_split, 1);
        assert_eq!(after.operations - before.operations, 5);
        // the connection is out of the failed transaction: this commits
        assert_eq!(
            store.claim_intake(&key(9), "order", LEASE).await.unwrap(),
            Claim::Owner
        );
        store.close().await;
        drop(store);

        let again = Store::connect(&url, crate::KeyRing::ephemeral())
            .await
            .unwrap();
        let intake = rows(
            &again,
            "SELECT dedup_key, state FROM intake ORDER BY dedup_key",
        )
        .await;
        let want: Vec<(String, String)> = [0, 1, 2, 3, 4, 5, 9]
            .iter()
            .map(|n| {
                let state = if [2, 9].contains(n) {
                    "open"
                } else {
                    "answered"
                };
                (format!("order:{n}"), state.to_owned())
            })
            .collect();
        assert_eq!(intake, want);
        let orders = rows(
            &again,
            "SELECT provider_order_id, status FROM orders ORDER BY provider_order_id",
        )
        .await;
        assert_eq!(
            orders.iter().map(|(o, _)| o.as_str()).collect::<Vec<_>>(),
            ["po-0", "po-1", "po-3", "po-4", "po-5"]
        );
        again.close().await;
    }

    /// The writer ends with its store, and a write alone is written once
    /// (not tried as a batch first).
    #[tokio::test(flavor = "current_thread")]
    async fn the_writer_ends_with_its_store_and_a_lone_write_is_not_split() {
        let store = Store::in_memory().await.unwrap();
        let group = super::GroupCommit::new(store.pool().clone(), true);
        let until = i64::MAX;
        assert!(group.claim(&key(1), "order", until, 0).await.unwrap());
        assert!(!group.claim(&key(1), "order", until, 0).await.unwrap());
        // an answer that cannot be written, alone: one failure, no split
        let answer = answer_of("");
        let h = handle(1, false);
        let refused = group
            .answer(&key(1), &answer, OrderChange::Accepted(&h), None, 0)
            .await;
        assert!(refused.is_err());
        let counts = group.counts.clone();
        assert_eq!(
            (
                counts.commits.load(Ordering::Relaxed),
                counts.batches_split.load(Ordering::Relaxed)
            ),
            (2, 0)
        );
        assert_eq!(counts.writers.load(Ordering::Relaxed), 1);
        drop(group);
        for _ in 0..100 {
            if counts.writers.load(Ordering::Relaxed) == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the writer outlived its store");
    }

    /// Polled outside any tokio runtime, a grouped write is a typed error,
    /// not a panic.
    #[test]
    fn a_write_outside_a_runtime_is_an_error() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let store = rt.block_on(Store::in_memory()).unwrap();
        let k = key(1);
        let mut claim = std::pin::pin!(store.claim_intake(&k, "order", LEASE));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match claim.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(Err(e)) => {
                assert!(e.to_string().contains("tokio runtime"), "{e}")
            }
            other => panic!("expected an error at once, got {other:?}"),
        }
    }

    /// A store outlives the runtime that first used it (a test's runtime,
    /// a CLI command's): the writer starts again on the next one.
    #[test]
    fn the_writer_starts_again_on_a_new_runtime() {
        let rt = || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
        };
        let dir = fresh_dir("restart");
        let url = format!("sqlite://{}", dir.0.join("restart.db").display());
        let first = rt();
        let store = first.block_on(async {
            let s = Store::connect(&url, crate::KeyRing::ephemeral())
                .await
                .unwrap();
            assert_eq!(
                s.claim_intake(&key(1), "order", LEASE).await.unwrap(),
                Claim::Owner
            );
            s
        });
        drop(first);
        let second = rt();
        second.block_on(async {
            assert_eq!(
                store.claim_intake(&key(1), "order", LEASE).await.unwrap(),
                Claim::Busy
            );
            assert_eq!(
                store.claim_intake(&key(2), "order", LEASE).await.unwrap(),
                Claim::Owner
            );
        });
        drop(store);
    }
}
