//! The words: question templates with their slots filled from the graph ("your grandmother
//! Rosa", "Uncle Joe", "the 1970s"). Every template is a whole sentence whatever fills it; no
//! pronouns for people (gender is never guessed), so a name or a relation always stands in.

use crate::graph::LifeStage;

/// A universal life-story topic.
pub(crate) struct Topic {
    pub key: &'static str,
    pub label: &'static str,
    /// Event kinds (extraction's) whose presence means the topic has stories.
    pub covered_by: &'static [&'static str],
    pub questions: &'static [&'static str],
    /// Safe to ask softly after a sad answer.
    pub gentle: bool,
}

pub(crate) const TOPICS: &[Topic] = &[
    Topic {
        key: "childhood_home",
        label: "the home you grew up in",
        covered_by: &[],
        gentle: true,
        questions: &[
            "What do you remember about the home you grew up in?",
            "Can you walk me through the house where you grew up, room by room?",
        ],
    },
    Topic {
        key: "school",
        label: "school days",
        covered_by: &["school_start", "graduation"],
        gentle: true,
        questions: &[
            "What was school like for you?",
            "Who was a teacher you still remember, and why?",
        ],
    },
    Topic {
        key: "first_job",
        label: "your first job",
        covered_by: &["first_job"],
        gentle: true,
        questions: &[
            "What was your very first job?",
            "How did you earn your first wages, and what did you do with them?",
        ],
    },
    Topic {
        key: "love",
        label: "falling in love",
        covered_by: &["wedding", "engagement"],
        gentle: false,
        questions: &[
            "How did you meet the person you fell in love with?",
            "What do you remember about your first love?",
        ],
    },
    Topic {
        key: "wedding",
        label: "a wedding",
        covered_by: &["wedding"],
        gentle: false,
        questions: &["What do you remember about a wedding that mattered to you?"],
    },
    Topic {
        key: "children",
        label: "becoming a parent",
        covered_by: &["birth"],
        gentle: false,
        questions: &["What do you remember about the day a child came into your life?"],
    },
    Topic {
        key: "work",
        label: "your working life",
        covered_by: &["retirement", "first_job"],
        gentle: true,
        questions: &[
            "What work were you proudest of?",
            "What did a usual working day look like for you?",
        ],
    },
    Topic {
        key: "holidays",
        label: "holidays and celebrations",
        covered_by: &["holiday", "birthday"],
        gentle: true,
        questions: &[
            "How did your family celebrate the holidays?",
            "What is a celebration you will never forget?",
        ],
    },
    Topic {
        key: "food",
        label: "food and recipes",
        covered_by: &[],
        gentle: true,
        questions: &[
            "What is a dish that tastes like home to you?",
            "Who taught you to cook, and what was the first thing you made?",
        ],
    },
    Topic {
        key: "music",
        label: "music and songs",
        covered_by: &[],
        gentle: true,
        questions: &["What song takes you straight back to another time?"],
    },
    Topic {
        key: "friends",
        label: "friendship",
        covered_by: &[],
        gentle: true,
        questions: &["Who was your closest friend when you were young?"],
    },
    Topic {
        key: "travel",
        label: "journeys",
        covered_by: &["travel", "emigration", "move"],
        gentle: true,
        questions: &[
            "What is the farthest you ever travelled, and what was it like?",
            "Tell me about a journey that changed something for you.",
        ],
    },
    Topic {
        key: "faith",
        label: "faith and traditions",
        covered_by: &["religious_ceremony"],
        gentle: true,
        questions: &["What traditions did your family keep?"],
    },
    Topic {
        key: "war",
        label: "war and service",
        covered_by: &["war_service"],
        gentle: false,
        questions: &[
            "Did war or military service touch your life? Only if you want to talk about it.",
        ],
    },
    Topic {
        key: "hard_times",
        label: "hard times",
        covered_by: &["illness", "death", "divorce"],
        gentle: false,
        questions: &["What helped you get through a hard time in your life?"],
    },
    Topic {
        key: "pride",
        label: "proudest moments",
        covered_by: &[],
        gentle: true,
        questions: &["What is a moment in your life you are proud of?"],
    },
    Topic {
        key: "advice",
        label: "advice for the young",
        covered_by: &[],
        gentle: true,
        questions: &["What would you like your grandchildren to know about life?"],
    },
];

/// The order topics are offered in when nothing else is pressing.
pub(crate) const OPENINGS: &[&str] = &[
    "Where were you born, and what was it like there?",
    "What is your earliest memory?",
    "Tell me about the people you grew up with.",
];

/// "your grandmother Rosa", "Rosa", "your grandmother" — never a pronoun.
pub(crate) fn person_phrase(name: &str, relation: Option<&str>, unnamed: bool) -> String {
    match relation {
        Some(relation) if unnamed => format!("your {relation}"),
        Some(relation)
            if !matches!(
                relation,
                "friend" | "neighbour" | "colleague" | "boss" | "doctor" | "nurse" | "teacher"
            ) =>
        {
            format!("your {relation} {name}")
        }
        _ => name.to_string(),
    }
}

/// Capitalises the first letter of a sentence.
pub(crate) fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub(crate) fn describe_person(who: &str, deceased: bool, variant: usize) -> String {
    let living = [
        format!("What is {who} like? Tell me about {who}."),
        format!("You have mentioned {who}. What should someone know about {who}?"),
        format!("What is your favourite memory of {who}?"),
    ];
    let remembered = [
        format!("What do you remember most about {who}?"),
        format!("What was {who} like?"),
        format!("What is your favourite memory of {who}?"),
    ];
    let options = if deceased { &remembered } else { &living };
    sentence(&options[variant % options.len()])
}

pub(crate) fn ask_relation(who: &str) -> String {
    sentence(&format!("How did you know {who}?"))
}

/// When the person was in the owner's life — never a birth or death date.
pub(crate) fn ask_era(who: &str, deceased: bool) -> String {
    if deceased {
        sentence(&format!("Which years of your life do you most connect with {who}?"))
    } else {
        sentence(&format!("When did {who} come into your life?"))
    }
}

pub(crate) fn ask_place(who: &str) -> String {
    sentence(&format!("Where do you picture {who} when you think back?"))
}

pub(crate) fn gentle_person(who: &str) -> String {
    sentence(&format!("Is there something about {who} that still makes you smile?"))
}

pub(crate) fn deepen(name: &str, times: u32, variant: usize) -> String {
    let options = [
        format!("{name} comes up in {times} of your stories. Is there a moment with {name} you have not told yet?"),
        format!("You often come back to {name}. What is one more thing you would like to say about {name}?"),
    ];
    sentence(&options[variant % options.len()])
}

pub(crate) fn decade(start: i32) -> String {
    format!("What was life like for you in the {start}s?")
}

pub(crate) fn stage(stage: LifeStage) -> String {
    let phrase = match stage {
        LifeStage::EarlyChildhood => "What is your earliest memory?",
        LifeStage::Childhood => "What do you remember about being a child?",
        LifeStage::Adolescence => "What were your teenage years like?",
        LifeStage::YoungAdulthood => {
            "What was your life like when you were young and starting out?"
        }
        LifeStage::Adulthood => "What filled your days in the middle of your life?",
        LifeStage::MiddleAge => "What changed for you in your fifties and sixties?",
        LifeStage::LaterLife => "What have these later years brought you?",
    };
    phrase.to_string()
}

pub(crate) fn stage_label(stage: LifeStage) -> &'static str {
    match stage {
        LifeStage::EarlyChildhood => "your earliest years",
        LifeStage::Childhood => "your childhood",
        LifeStage::Adolescence => "your teenage years",
        LifeStage::YoungAdulthood => "your young adult years",
        LifeStage::Adulthood => "your middle years",
        LifeStage::MiddleAge => "your fifties and sixties",
        LifeStage::LaterLife => "your later years",
    }
}

/// The detail questions about one story, by what the story lacks.
pub(crate) fn detail(missing: &str, variant: usize) -> String {
    let options: &[&str] = match missing {
        "sensory" => &[
            "When you think of that time, what could you smell or hear?",
            "What did it look like there? Paint me a picture.",
        ],
        "voice" => &["What did people say back then? Are there words you can still hear?"],
        "place" => &["Where did this happen?", "Where were you when this happened?"],
        "era" => &["When was this, roughly? How old were you?"],
        "people" => &["Who else was there with you?"],
        _ => &["What happened next?"],
    };
    options[variant % options.len()].to_string()
}

/// After a sad answer in bereavement mode.
pub(crate) const PAUSE: &str =
    "Thank you for telling me that. We can stop here for today, or go on whenever you are ready.";

/// A soft question after a sad answer, when no person is there to ask about.
pub(crate) const COMFORT: &[&str] = &[
    "Would you like to tell me about a happier time?",
    "What is a place where you have always felt at peace?",
];

/// The title of a memory that answers a question: the question itself, shortened.
pub(crate) fn answer_title(question: &str) -> String {
    let mut title: String = question.chars().take(80).collect();
    if question.chars().count() > 80 {
        title.push('…');
    }
    title
}
