-- Memory videos (issue 6): the owner's edit of a memory's storyboard (photo order, dropped
-- photos, narration span, size) as JSON; the storyboard itself is rebuilt from the graph.
CREATE TABLE storyboard_edit (
    memory_id     INTEGER PRIMARY KEY REFERENCES memory (id) ON DELETE CASCADE,
    edit          TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
