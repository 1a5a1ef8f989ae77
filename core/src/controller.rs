//! The controller: who is alive, who leads each partition, who is in sync. From 3.3 the
//! KRaft `QuorumController` (`BrokerHeartbeatManager`, `ReplicationControlManager`,
//! `PartitionChangeBuilder`); before, the ZooKeeper-based `KafkaController`
//! (`broker.md` §6–§7). The controller itself never fails here: it is a quorum of its own.

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
        }
    }

    fn kraft(&self) -> bool {
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
        out: &mut Vec<PartitionChange>,
    ) -> Option<BrokerChange> {
        let b = &mut self.brokers[broker as usize];
        if b.fenced {
            b.silent_since = None;
            b.returning_unheard = false;
            self.unfence(broker, out);
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

    /// The next session expiry to check (`rescheduleMaybeFenceStaleBrokers`).
    pub fn next_timeout(&self) -> Option<u64> {
        (0..self.brokers.len() as u32)
            .filter_map(|b| self.fence_at(b))
            .min()
    }

    /// Fences every broker whose session has run out, one by one, and lets a restarted
    /// broker that was waiting on it register.
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
        changes
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
            self.change(tp, isr, true, out);
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
            self.change(tp, isr, false, out);
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
    /// leader's AlterPartition.
    fn change(
        &mut self,
        tp: TopicPartition,
        target_isr: Vec<u32>,
        by_controller: bool,
        out: &mut Vec<PartitionChange>,
    ) {
        let acceptable = |b: u32| !self.brokers[b as usize].fenced;
        let p = &self.partitions[&tp];
        let mut isr = target_isr;
        let keep = p.leader.filter(|&l| isr.contains(&l) && acceptable(l));
        let (leader, election) = match keep {
            Some(l) => (Some(l), None),
            None => {
                let clean = p
                    .replicas
                    .iter()
                    .copied()
                    .find(|&b| isr.contains(&b) && acceptable(b));
                match clean {
                    Some(l) => (Some(l), Some(Election::Clean)),
                    None if self.unclean_allowed(tp.topic) => {
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
            Some(Election::Clean) => self.leader_elections += 1,
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
        self.change(tp, new_isr, false, out);
        Ok(self.partitions[&tp].clone())
    }
}
