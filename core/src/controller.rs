//! The controller: who is alive, who leads each partition, who is in sync. From 3.3 the
//! KRaft `QuorumController` (`BrokerHeartbeatManager`, `ReplicationControlManager`,
//! `PartitionChangeBuilder`); before, the ZooKeeper-based `KafkaController`
//! (`broker.md` §6–§7). The controller itself never fails here: it is a quorum of its own.

use crate::config::BrokerConfig;
use crate::errors::Errors;
use crate::metadata::{Cluster, TopicPartition};
use crate::vec_map::VecMap;
use crate::version::KafkaVersion;

/// `broker.heartbeat.interval.ms` (KRaft).
pub const BROKER_HEARTBEAT_INTERVAL_MS: u64 = 2_000;
/// `broker.session.timeout.ms` (KRaft).
pub const BROKER_SESSION_TIMEOUT_MS: u64 = 9_000;
/// `zookeeper.session.timeout.ms` (18000 since 2.5, KIP-537); the ZooKeeper client pings
/// every third of it.
pub const ZOOKEEPER_SESSION_TIMEOUT_MS: u64 = 18_000;

/// The controller's record of one partition (`PartitionRegistration`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionRegistration {
    /// Assigned replicas, preferred leader first.
    pub replicas: Vec<u32>,
    pub isr: Vec<u32>,
    pub leader: Option<u32>,
    /// +1 whenever the leader changes (to or from none included).
    pub leader_epoch: u32,
    /// +1 on every change.
    pub partition_epoch: u32,
}

/// How a partition got its new leader, for the event log and the metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Election {
    /// From the ISR, first in assignment order.
    Clean,
    /// Outside the ISR (`unclean.leader.election.enable`): data above its log end is lost.
    Unclean,
    /// No acceptable replica: the partition is offline.
    Offline,
    /// Back to the first assigned replica, in the ISR again (`auto.leader.rebalance.enable`).
    Preferred,
}

/// Hashed as the trace's `unclean` flag it replaced (an offline partition's leader is
/// `None` anyway), so traces without a preferred election keep their hashes.
impl std::hash::Hash for Election {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u8(match self {
            Election::Clean | Election::Offline => 0,
            Election::Unclean => 1,
            Election::Preferred => 2,
        })
    }
}

/// One partition's new state, to be propagated to every broker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionChange {
    pub tp: TopicPartition,
    pub registration: PartitionRegistration,
    /// Set when the leader field changed.
    pub election: Option<Election>,
}

/// What the controller knows of a broker's liveness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct BrokerRegistration {
    fenced: bool,
    /// The last heartbeat (or ZooKeeper ping) of a broker that has gone silent.
    silent_since: Option<u64>,
    /// It came back while its old session was still valid: its new registration is
    /// refused until the old one is fenced (`DuplicateBrokerRegistrationException`).
    returning: bool,
    /// Returning, but cut off from the controller since: it registers once heard again.
    returning_unheard: bool,
}

/// The controller's side of a liveness change, for the event log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrokerChange {
    Fenced(u32),
    Unfenced(u32),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Controller {
    version: KafkaVersion,
    brokers: Vec<BrokerRegistration>,
    pub partitions: VecMap<TopicPartition, PartitionRegistration>,
    /// Per topic: `unclean.leader.election.enable`.
    unclean: Vec<bool>,
    /// `ControllerStats` `LeaderElectionRateAndTimeMs` / `UncleanLeaderElectionsPerSec`,
    /// as counts.
    pub leader_elections: u64,
    pub unclean_leader_elections: u64,
    /// The first producer id of the next block handed to a broker.
    next_producer_id_block: i64,
    /// The `auto.leader.rebalance.enable` and `leader.imbalance.*` configs.
    config: BrokerConfig,
    /// When leaders are balanced next (`maybeBalancePartitionLeaders`; ZooKeeper's
    /// `auto-leader-rebalance-task`).
    balance_at: Option<u64>,
}

/// `ProducerIdControlManager`: producer ids go to brokers in blocks of this many.
pub const PRODUCER_ID_BLOCK_SIZE: i64 = 1000;

impl Controller {
    /// The controller at topic creation: ISR = all assigned replicas, leader the first,
    /// epochs 0 (`ReplicationControlManager.createTopic`).
    pub fn new(version: KafkaVersion, cluster: &Cluster) -> Self {
        let mut partitions = VecMap::new();
        for (t, topic) in cluster.topics.iter().enumerate() {
            for (p, meta) in topic.partitions.iter().enumerate() {
                let tp = TopicPartition {
                    topic: t as u32,
                    partition: p as u32,
                };
                partitions.insert(
                    tp,
                    PartitionRegistration {
                        replicas: meta.replicas.clone(),
                        isr: meta.replicas.clone(),
                        leader: meta.leader,
                        leader_epoch: meta.leader_epoch,
                        partition_epoch: 0,
                    },
                );
            }
        }
        let broker = BrokerRegistration {
            fenced: false,
            silent_since: None,
            returning: false,
            returning_unheard: false,
        };
        Controller {
            version,
            brokers: vec![broker; cluster.brokers as usize],
            partitions,
            unclean: cluster
                .topics
                .iter()
                .map(|t| t.config.unclean_leader_election)
                .collect(),
            leader_elections: 0,
            unclean_leader_elections: 0,
            next_producer_id_block: 0,
            config: BrokerConfig::default(),
            balance_at: None,
        }
        .with_config(BrokerConfig::default())
    }

    /// The broker configs: the ZooKeeper controller checks the balance 5 s after its
    /// election, then every interval (`KafkaController.onControllerFailover`); KRaft only
    /// once a partition is led by another than its preferred replica.
    pub fn with_config(mut self, config: BrokerConfig) -> Self {
        self.config = config;
        self.balance_at = (!self.kraft() && config.auto_leader_rebalance).then_some(5_000);
        self.arm_balance(0);
        self
    }

    pub fn config(&self) -> &BrokerConfig {
        &self.config
    }

    /// KRaft's `QuorumController` (3.3+), not ZooKeeper's `KafkaController`.
    pub fn kraft(&self) -> bool {
        self.version.at_least(3, 3)
    }

    /// How long a silent broker stays registered, and how often a live one checks in
    /// (KRaft heartbeats, or ZooKeeper's session and pings before 3.3).
    pub fn session(&self) -> (u64, u64) {
        if self.kraft() {
            (BROKER_SESSION_TIMEOUT_MS, BROKER_HEARTBEAT_INTERVAL_MS)
        } else {
            (
                ZOOKEEPER_SESSION_TIMEOUT_MS,
                ZOOKEEPER_SESSION_TIMEOUT_MS / 3,
            )
        }
    }

    pub fn is_fenced(&self, broker: u32) -> bool {
        self.brokers[broker as usize].fenced
    }

    /// The fenced brokers' ids (their count is `FencedBrokerCount`).
    pub fn fenced_brokers(&self) -> Vec<u32> {
        (0..self.brokers.len() as u32)
            .filter(|&b| self.brokers[b as usize].fenced)
            .collect()
    }

    /// `OfflinePartitionsCount`.
    pub fn offline_partitions(&self) -> usize {
        self.partitions
            .values()
            .filter(|p| p.leader.is_none())
            .count()
    }

    /// When the session of a broker that went silent at `since` runs out.
    pub fn fence_at(&self, broker: u32) -> Option<u64> {
        let b = &self.brokers[broker as usize];
        let (timeout, _) = self.session();
        b.silent_since
            .filter(|_| !b.fenced)
            .map(|last| last + timeout + 1)
    }

    /// A broker stopped heartbeating (it crashed, or the network cut it off). Its last
    /// heartbeat was the last tick of its heartbeat interval: brokers check in from time 0.
    pub fn lose_contact(&mut self, broker: u32, now: u64) {
        let (_, interval) = self.session();
        let b = &mut self.brokers[broker as usize];
        if b.silent_since.is_none() {
            b.silent_since = Some(now - now % interval);
        }
        // A new incarnation waiting to register can no longer reach the controller.
        if b.returning {
            b.returning = false;
            b.returning_unheard = true;
        }
    }

    /// The broker's process died: an incarnation waiting to register died unregistered,
    /// so when its old session runs out it stays fenced (until it restarts again).
    pub fn crashed(&mut self, broker: u32) {
        let b = &mut self.brokers[broker as usize];
        b.returning = false;
        b.returning_unheard = false;
    }

    /// A broker is heard from again: restarted (a new incarnation that must register) or
    /// healed (the old one, heartbeating again). A fenced broker is unfenced at once; a
    /// restarted one whose old session is still valid waits to be fenced first.
    pub fn regain_contact(
        &mut self,
        broker: u32,
        restarted: bool,
        now: u64,
        out: &mut Vec<PartitionChange>,
    ) -> Option<BrokerChange> {
        let b = &mut self.brokers[broker as usize];
        if b.fenced {
            b.silent_since = None;
            b.returning_unheard = false;
            self.unfence(broker, out);
            self.arm_balance(now);
            Some(BrokerChange::Unfenced(broker))
        } else if restarted || b.returning_unheard {
            // Its old session still runs out; the new registration waits for that.
            b.returning = true;
            b.returning_unheard = false;
            None
        } else {
            b.silent_since = None;
            None
        }
    }

    /// The next session expiry to check (`rescheduleMaybeFenceStaleBrokers`), or leader
    /// balance.
    pub fn next_timeout(&self) -> Option<u64> {
        (0..self.brokers.len() as u32)
            .filter_map(|b| self.fence_at(b))
            .chain(self.balance_at)
            .min()
    }

    /// Fences every broker whose session has run out, one by one, and lets a restarted
    /// broker that was waiting on it register; then balances leaders if due.
    pub fn on_timer(&mut self, now: u64, out: &mut Vec<PartitionChange>) -> Vec<BrokerChange> {
        let mut changes = Vec::new();
        for broker in 0..self.brokers.len() as u32 {
            if self.fence_at(broker).is_some_and(|t| t <= now) {
                self.fence(broker, out);
                changes.push(BrokerChange::Fenced(broker));
                let b = &mut self.brokers[broker as usize];
                if b.returning {
                    b.returning = false;
                    b.silent_since = None;
                    self.unfence(broker, out);
                    changes.push(BrokerChange::Unfenced(broker));
                }
            }
        }
        if self.balance_at.is_some_and(|t| t <= now) {
            self.balance(now, out);
        }
        self.arm_balance(now);
        changes
    }

    /// `PreferredReplicaImbalanceCount`: partitions not led by their first replica.
    pub fn imbalanced(&self) -> impl Iterator<Item = TopicPartition> + '_ {
        self.partitions
            .iter()
            .filter(|(_, p)| p.leader != Some(p.replicas[0]))
            .map(|(tp, _)| *tp)
    }

    /// KRaft's `maybeScheduleNextBalancePartitionLeaders`, after every write: a balance
    /// `leader.imbalance.check.interval.seconds` after an imbalance is first seen, unless
    /// one is already due. (Out of line, as `balance`: rare, and 0.1 KB less wasm than
    /// inlined into the simulation's step.)
    #[inline(never)]
    fn arm_balance(&mut self, now: u64) {
        if self.kraft()
            && self.config.auto_leader_rebalance
            && self.balance_at.is_none()
            && self.imbalanced().next().is_some()
        {
            self.balance_at = Some(now.saturating_add(self.interval_ms()));
        }
    }

    fn interval_ms(&self) -> u64 {
        self.config
            .leader_imbalance_check_interval_s
            .saturating_mul(1000)
    }

    /// KRaft's `maybeBalancePartitionLeaders`: a preferred election for every imbalanced
    /// partition (at most 1,000 a run, more than the app ever has); re-armed while an
    /// imbalance is left. ZooKeeper's `checkAndTriggerAutoLeaderRebalance`: only for
    /// preferred replicas with more than `leader.imbalance.per.broker.percentage` of their
    /// partitions led elsewhere; checked again every interval.
    #[inline(never)]
    fn balance(&mut self, now: u64, out: &mut Vec<PartitionChange>) {
        self.balance_at = None;
        let mut tps: Vec<TopicPartition> = self.imbalanced().collect();
        if !self.kraft() {
            // Per preferred broker: its partitions, and how many of them are led elsewhere.
            let mut led = vec![(0i64, 0i64); self.brokers.len()];
            for p in self.partitions.values() {
                let b = &mut led[p.replicas[0] as usize];
                *b = (b.0 + 1, b.1 + (p.leader != Some(p.replicas[0])) as i64);
            }
            let pct = self.config.leader_imbalance_per_broker_percentage as i64;
            tps.retain(|tp| {
                let (all, elsewhere) = led[self.partitions[tp].replicas[0] as usize];
                elsewhere * 100 > pct * all
            });
            self.balance_at = Some(now.saturating_add(self.interval_ms()));
        }
        for tp in tps {
            let isr = self.partitions[&tp].isr.clone();
            self.change(tp, isr, false, true, out);
        }
    }

    /// `handleBrokerFenced`: out of every ISR (never emptying one), and a new leader where
    /// it led.
    fn fence(&mut self, broker: u32, out: &mut Vec<PartitionChange>) {
        self.brokers[broker as usize].fenced = true;
        let tps: Vec<TopicPartition> = self
            .partitions
            .iter()
            .filter(|(_, p)| p.replicas.contains(&broker))
            .map(|(tp, _)| *tp)
            .collect();
        for tp in tps {
            let p = &self.partitions[&tp];
            let mut isr = p.isr.clone();
            if isr.len() > 1 {
                isr.retain(|&b| b != broker);
            }
            self.change(tp, isr, true, false, out);
        }
    }

    /// `handleBrokerUnfenced`: leaderless partitions with it in their ISR elect it (and, where
    /// unclean election runs automatically, any leaderless partition it replicates).
    fn unfence(&mut self, broker: u32, out: &mut Vec<PartitionChange>) {
        self.brokers[broker as usize].fenced = false;
        let tps: Vec<TopicPartition> = self
            .partitions
            .iter()
            .filter(|(_, p)| p.leader.is_none() && p.replicas.contains(&broker))
            .map(|(tp, _)| *tp)
            .collect();
        for tp in tps {
            let isr = self.partitions[&tp].isr.clone();
            self.change(tp, isr, false, false, out);
        }
    }

    /// Whether a topic's leaderless partitions may elect outside the ISR on their own. KRaft
    /// ignored the topic config until 3.9 (KAFKA-12670): only an explicit unclean
    /// ElectLeaders request could.
    pub fn unclean_allowed(&self, topic: u32) -> bool {
        self.unclean[topic as usize] && (!self.kraft() || self.version.at_least(3, 9))
    }

    /// `PartitionChangeBuilder`: applies a target ISR, elects a leader if the current one is
    /// no longer acceptable or in it, bumps the epochs, and records the change if anything
    /// moved. `by_controller`: the change is the controller's own (a fenced broker), not a
    /// leader's AlterPartition. `preferred` (`electPreferredLeader`): the first replica if
    /// it is in the ISR and acceptable, else as any election.
    fn change(
        &mut self,
        tp: TopicPartition,
        target_isr: Vec<u32>,
        by_controller: bool,
        preferred: bool,
        out: &mut Vec<PartitionChange>,
    ) {
        let acceptable = |b: u32| !self.brokers[b as usize].fenced;
        let p = &self.partitions[&tp];
        let mut isr = target_isr;
        let first = p.replicas[0];
        let keep = p.leader.filter(|&l| isr.contains(&l) && acceptable(l));
        let (leader, election) = match keep {
            _ if preferred && isr.contains(&first) && acceptable(first) => {
                (Some(first), Some(Election::Preferred))
            }
            Some(l) => (Some(l), None),
            None => {
                let clean = p
                    .replicas
                    .iter()
                    .copied()
                    .find(|&b| isr.contains(&b) && acceptable(b));
                match clean {
                    Some(l) => (Some(l), Some(Election::Clean)),
                    // A preferred election is never unclean.
                    None if self.unclean_allowed(tp.topic) && !preferred => {
                        match p.replicas.iter().copied().find(|&b| acceptable(b)) {
                            Some(l) => {
                                isr = vec![l];
                                (Some(l), Some(Election::Unclean))
                            }
                            None => (None, Some(Election::Offline)),
                        }
                    }
                    None => (None, Some(Election::Offline)),
                }
            }
        };
        if leader == p.leader && isr == p.isr {
            return;
        }
        let leader_changed = leader != p.leader;
        let shrunk = isr.len() < p.isr.len();
        // ZooKeeper's controller bumps the leader epoch on each ISR change it makes itself;
        // KRaft before metadata version 3.6 bumped it on every shrink (`broker.md` §5).
        let bump = leader_changed
            || (shrunk && by_controller && !self.kraft())
            || (shrunk && self.kraft() && !self.version.at_least(3, 6));
        let p = self.partitions.get_mut(&tp).expect("registered");
        p.isr = isr;
        p.leader = leader;
        p.partition_epoch += 1;
        if bump {
            p.leader_epoch += 1;
        }
        let election = if leader_changed { election } else { None };
        match election {
            Some(Election::Clean | Election::Preferred) => self.leader_elections += 1,
            Some(Election::Unclean) => {
                self.leader_elections += 1;
                self.unclean_leader_elections += 1;
            }
            _ => {}
        }
        out.push(PartitionChange {
            tp,
            registration: p.clone(),
            election,
        });
    }

    /// `AllocateProducerIds`: the next block of producer ids, as (first, end).
    pub fn allocate_producer_ids(&mut self) -> (i64, i64) {
        let first = self.next_producer_id_block;
        self.next_producer_id_block += PRODUCER_ID_BLOCK_SIZE;
        (first, first + PRODUCER_ID_BLOCK_SIZE)
    }

    /// A leader's AlterPartition (`ReplicationControlManager.alterPartition`): it must be
    /// the current leader at the current epochs, and may add only unfenced replicas.
    pub fn alter_partition(
        &mut self,
        broker: u32,
        tp: TopicPartition,
        leader_epoch: u32,
        partition_epoch: u32,
        new_isr: Vec<u32>,
        out: &mut Vec<PartitionChange>,
    ) -> Result<PartitionRegistration, Errors> {
        let p = &self.partitions[&tp];
        if p.leader != Some(broker) || p.leader_epoch != leader_epoch {
            return Err(Errors::FencedLeaderEpoch);
        }
        if p.partition_epoch != partition_epoch {
            return Err(Errors::InvalidUpdateVersion);
        }
        if new_isr
            .iter()
            .any(|&b| !p.isr.contains(&b) && self.brokers[b as usize].fenced)
        {
            return Err(Errors::IneligibleReplica);
        }
        // The leader stays (it is in its own ISR): no imbalance to arm a balance for.
        self.change(tp, new_isr, false, false, out);
        Ok(self.partitions[&tp].clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::{PartitionMeta, TopicMeta};

    const TP: TopicPartition = TopicPartition {
        topic: 0,
        partition: 0,
    };

    /// One topic, partition i on `assignment[i]`, led by its first replica.
    fn controller(version: &str, brokers: u32, assignment: &[&[u32]]) -> Controller {
        let partitions = assignment
            .iter()
            .map(|r| PartitionMeta {
                replicas: r.to_vec(),
                leader: Some(r[0]),
                leader_epoch: 0,
            })
            .collect();
        let cluster = Cluster {
            brokers,
            topics: vec![TopicMeta::new("t".into(), partitions, Default::default())],
        };
        Controller::new(KafkaVersion::parse(version).unwrap(), &cluster)
    }

    fn set(c: &mut Controller, p: u32, leader: u32, isr: &[u32]) {
        let tp = TopicPartition {
            topic: 0,
            partition: p,
        };
        let r = c.partitions.get_mut(&tp).unwrap();
        r.leader = Some(leader);
        r.isr = isr.to_vec();
    }

    #[test]
    fn preferred_election_takes_the_first_replica_if_in_sync_and_acceptable() {
        // PCBT.testElectLeader's preferred elections (broker.md case 18): replicas
        // [2,1,3], ISR all, leader 1, broker 3 unacceptable → 2, the epoch bumped.
        let mut c = controller("4.0", 4, &[&[2, 1, 3]]);
        set(&mut c, 0, 1, &[2, 1, 3]);
        c.brokers[3].fenced = true;
        let mut out = Vec::new();
        c.change(TP, vec![2, 1, 3], false, true, &mut out);
        assert_eq!(c.partitions[&TP].leader, Some(2));
        assert_eq!(c.partitions[&TP].leader_epoch, 1);
        assert_eq!(out[0].election, Some(Election::Preferred));
        // Replicas [2,1,3], ISR [1,3], leader 3: 2 is out of sync, 3 stays, nothing changes.
        let mut c = controller("4.0", 4, &[&[2, 1, 3]]);
        set(&mut c, 0, 3, &[1, 3]);
        let mut out = Vec::new();
        c.change(TP, vec![1, 3], false, true, &mut out);
        assert_eq!(c.partitions[&TP].leader, Some(3));
        assert!(out.is_empty());
    }

    #[test]
    fn kraft_balances_an_interval_after_the_imbalance_and_again_while_it_lasts() {
        // maybeScheduleNextBalancePartitionLeaders: armed by the write that made the
        // imbalance, not moved by later ones, re-armed after a run that left one.
        let mut c = controller("4.0", 3, &[&[0, 1, 2]]);
        assert_eq!(c.next_timeout(), None, "balanced: nothing scheduled");
        let mut out = Vec::new();
        c.lose_contact(0, 1000);
        let fenced = c.fence_at(0).unwrap();
        c.on_timer(fenced, &mut out);
        assert_eq!(c.partitions[&TP].leader, Some(1));
        assert_eq!(c.next_timeout(), Some(fenced + 300_000));
        c.regain_contact(0, false, fenced + 1000, &mut out);
        assert_eq!(c.next_timeout(), Some(fenced + 300_000));
        // Not back in the ISR yet: the run elects nothing and schedules the next.
        c.on_timer(fenced + 300_000, &mut out);
        assert_eq!(c.partitions[&TP].leader, Some(1));
        assert_eq!(c.next_timeout(), Some(fenced + 600_000));
        let (le, pe) = (
            c.partitions[&TP].leader_epoch,
            c.partitions[&TP].partition_epoch,
        );
        c.alter_partition(1, TP, le, pe, vec![1, 2, 0], &mut out)
            .unwrap();
        c.on_timer(fenced + 600_000, &mut out);
        assert_eq!(c.partitions[&TP].leader, Some(0));
        assert_eq!(c.next_timeout(), None);

        // auto.leader.rebalance.enable=false: never.
        let mut c = controller("4.0", 3, &[&[0, 1, 2]]).with_config(BrokerConfig {
            auto_leader_rebalance: false,
            ..BrokerConfig::default()
        });
        set(&mut c, 0, 1, &[0, 1, 2]);
        c.on_timer(0, &mut out);
        assert_eq!(c.next_timeout(), None);
    }

    #[test]
    fn zookeeper_checks_every_interval_from_5_s_and_balances_brokers_over_the_percentage() {
        // checkAndTriggerAutoLeaderRebalance: broker 0 prefers 10 partitions; 1 led
        // elsewhere is 10 %, not over leader.imbalance.per.broker.percentage; 2 are.
        let mut c = controller("2.8", 2, &[&[0, 1][..]; 10]);
        assert_eq!(c.next_timeout(), Some(5_000));
        set(&mut c, 0, 1, &[0, 1]);
        let mut out = Vec::new();
        c.on_timer(5_000, &mut out);
        assert!(out.is_empty());
        assert_eq!(c.next_timeout(), Some(305_000));
        set(&mut c, 1, 1, &[0, 1]);
        // Only those whose preferred replica is in the ISR.
        set(&mut c, 2, 1, &[1]);
        c.on_timer(305_000, &mut out);
        let moved: Vec<u32> = out.iter().map(|c| c.tp.partition).collect();
        assert_eq!(moved, [0, 1]);
        assert!(out.iter().all(|c| c.registration.leader == Some(0)));
        assert_eq!(c.next_timeout(), Some(605_000));
    }
}
