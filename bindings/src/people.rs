//! People sub-object: entities of every kind, their mentions and relations.

use crate::session::Session;
use crate::ApiError;
use heirloom_core::graph::{
    Entity, EntityAttributes, EntityKind, EntityQuery, EntityView, FactStatus, Mention, NewEntity,
    NewMention, NewRelation, Relation, Span,
};
use std::sync::Arc;

/// A new entity with the mentions of its names that were linked.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CreatedEntity {
    pub entity: Entity,
    pub linked: Vec<Mention>,
}

/// People, places, periods, events, emotions and topics.
#[derive(Debug, uniffi::Object)]
pub struct People {
    session: Arc<Session>,
}

impl People {
    pub(crate) fn new(session: Arc<Session>) -> Self {
        Self { session }
    }
}

#[uniffi::export]
impl People {
    /// Creates an entity.
    pub fn create(&self, entity: NewEntity) -> Result<Entity, ApiError> {
        self.session.with(|g| g.create_entity(&entity))
    }

    /// Creates an entity and links each occurrence of its names in `memory_ids` (one
    /// transaction).
    pub fn create_linked(
        &self,
        entity: NewEntity,
        memory_ids: Vec<i64>,
    ) -> Result<CreatedEntity, ApiError> {
        self.session
            .with(|g| g.create_entity_linked(&entity, &memory_ids))
            .map(|(entity, linked)| CreatedEntity { entity, linked })
    }

    /// Links each whole-word occurrence of the entity's names in a memory.
    pub fn link_names(&self, entity_id: i64, memory_id: i64) -> Result<Vec<Mention>, ApiError> {
        self.session.with(|g| g.link_name_occurrences(entity_id, memory_id))
    }

    /// Links many mentions at once (all or none).
    pub fn link_mentions(&self, mentions: Vec<NewMention>) -> Result<Vec<Mention>, ApiError> {
        self.session.with(|g| g.link_mentions(&mentions))
    }

    /// An entity; a merged-away id resolves to the entity it was merged into.
    pub fn get(&self, id: i64) -> Result<Entity, ApiError> {
        self.session.with(|g| g.entity(id))
    }

    /// Live entities, optionally of one kind and matching a name.
    pub fn list(
        &self,
        kind: Option<EntityKind>,
        name: Option<String>,
    ) -> Result<Vec<Entity>, ApiError> {
        self.session.with(|g| g.list_entities(&EntityQuery { kind, name }))
    }

    /// Renames an entity, keeping the old name as an alias.
    pub fn rename(&self, id: i64, display_name: String) -> Result<Entity, ApiError> {
        self.session.with(|g| g.rename_entity(id, &display_name))
    }

    /// Replaces an entity's attributes.
    pub fn set_attributes(
        &self,
        id: i64,
        attributes: EntityAttributes,
    ) -> Result<Entity, ApiError> {
        self.session.with(|g| g.set_entity_attributes(id, &attributes))
    }

    /// Marks an entity confirmed or inferred.
    pub fn set_status(&self, id: i64, status: FactStatus) -> Result<Entity, ApiError> {
        self.session.with(|g| g.set_entity_status(id, status))
    }

    /// Adds an alias.
    pub fn add_alias(&self, id: i64, alias: String) -> Result<Entity, ApiError> {
        self.session.with(|g| g.add_alias(id, &alias))
    }

    /// Links an entity to the span of a segment that names it.
    pub fn link_mention(
        &self,
        entity_id: i64,
        span: Span,
        confidence: f64,
        status: FactStatus,
    ) -> Result<Mention, ApiError> {
        self.session.with(|g| g.link_mention(entity_id, span, confidence, status))
    }

    /// Removes a mention.
    pub fn unlink_mention(&self, mention_id: i64) -> Result<(), ApiError> {
        self.session.with(|g| g.unlink_mention(mention_id))
    }

    /// Marks a mention confirmed or inferred.
    pub fn set_mention_status(&self, mention_id: i64, status: FactStatus) -> Result<(), ApiError> {
        self.session.with(|g| g.set_mention_status(mention_id, status))
    }

    /// Adds a relation between two entities.
    pub fn add_relation(&self, relation: NewRelation) -> Result<Relation, ApiError> {
        self.session.with(|g| g.add_relation(&relation))
    }

    /// Removes a relation.
    pub fn remove_relation(&self, relation_id: i64) -> Result<(), ApiError> {
        self.session.with(|g| g.remove_relation(relation_id))
    }

    /// Everything about an entity.
    pub fn view(&self, id: i64) -> Result<EntityView, ApiError> {
        self.session.with(|g| g.entity_view(id))
    }

    /// Everything about a person (fails for other kinds).
    pub fn person(&self, id: i64) -> Result<EntityView, ApiError> {
        self.session.with(|g| g.person_view(id))
    }
}
