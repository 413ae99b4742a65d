//! Sample diagrams to start from: one short, typical diagram of every kind the renderer draws,
//! named as Mermaid's documentation names them. "New diagram" offers them; nothing is stored
//! until the person saves.

/// One sample: `slug` names it in URLs (`/new/sequence`), `name` is Mermaid's name for the
/// kind, `source` the Mermaid text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub slug: &'static str,
    pub name: &'static str,
    pub source: &'static str,
}

/// Every sample, the most used kinds first.
pub const SAMPLES: &[Sample] = &[
    Sample {
        slug: "flowchart",
        name: "Flowchart",
        source: crate::diagrams::EXAMPLE,
    },
    Sample {
        slug: "sequence",
        name: "Sequence diagram",
        source: "sequenceDiagram\n    autonumber\n    actor You\n    participant Reef\n    participant Worker as Render worker\n    You->>Reef: Type Mermaid text\n    Reef->>Worker: Render it\n    Worker-->>Reef: SVG\n    Reef-->>You: Live preview\n    Note over You,Reef: Ctrl+S saves in the background\n",
    },
    Sample {
        slug: "class",
        name: "Class diagram",
        source: "classDiagram\n    class Diagram {\n        +String id\n        +String title\n        +String source\n        +int version\n        +share() Link\n    }\n    class Revision {\n        +int version\n        +String source\n    }\n    class Owner {\n        <<interface>>\n    }\n    Diagram \"1\" *-- \"many\" Revision : keeps\n    Owner <|.. Account\n    Owner <|.. Guest\n    Owner \"1\" --> \"many\" Diagram : owns\n",
    },
    Sample {
        slug: "state",
        name: "State diagram",
        source: "stateDiagram-v2\n    [*] --> Draft\n    Draft --> Saved : Ctrl+S\n    Saved --> Draft : edit\n    Saved --> Shared : create link\n    Shared --> Saved : stop sharing\n    Saved --> Trash : delete\n    Trash --> Saved : restore\n    Trash --> [*] : after 30 days\n",
    },
    Sample {
        slug: "er",
        name: "Entity relationship diagram",
        source: "erDiagram\n    ACCOUNT ||--o{ DIAGRAM : owns\n    DIAGRAM ||--|{ REVISION : keeps\n    ACCOUNT ||--o{ TOKEN : issues\n    ACCOUNT {\n        int id PK\n        string email\n    }\n    DIAGRAM {\n        string id PK\n        string title\n        int version\n    }\n    TOKEN {\n        int id PK\n        string name\n        date expires_at\n    }\n",
    },
    Sample {
        slug: "gantt",
        name: "Gantt chart",
        source: "gantt\n    title Release plan\n    dateFormat YYYY-MM-DD\n    section Build\n        Editor polish      :done,    a1, 2026-11-02, 10d\n        Export and zip     :active,  a2, after a1, 7d\n    section Ship\n        Review             :         a3, after a2, 4d\n        Release            :milestone, after a3, 0d\n",
    },
    Sample {
        slug: "pie",
        name: "Pie chart",
        source: "pie title Where the time goes\n    \"Writing\" : 45\n    \"Reviewing\" : 25\n    \"Layout tweaks\" : 20\n    \"Sharing\" : 10\n",
    },
    Sample {
        slug: "mindmap",
        name: "Mindmap",
        source: "mindmap\n  root((Reef))\n    Editor\n      Live preview\n      Templates\n    Sharing\n      Links\n      Embeds\n    API\n      Tokens\n      MCP\n",
    },
    Sample {
        slug: "timeline",
        name: "Timeline",
        source: "timeline\n    title A diagram's life\n    Monday : Drafted from a template\n    Tuesday : Reviewed : Two revisions\n    Friday : Shared with the team\n",
    },
    Sample {
        slug: "gitgraph",
        name: "Git graph",
        source: "gitGraph\n    commit id: \"init\"\n    branch feature\n    checkout feature\n    commit id: \"editor\"\n    commit id: \"tests\"\n    checkout main\n    commit id: \"fix\"\n    merge feature\n    commit id: \"release\"\n",
    },
    Sample {
        slug: "journey",
        name: "User journey",
        source: "journey\n    title Sharing a diagram\n    section Write\n      Open the editor: 5: Me\n      Fix a syntax error: 2: Me\n    section Share\n      Copy the link: 5: Me\n      Open it: 4: Colleague\n",
    },
    Sample {
        slug: "quadrant",
        name: "Quadrant chart",
        source: "quadrantChart\n    title Feature requests\n    x-axis Low effort --> High effort\n    y-axis Low value --> High value\n    quadrant-1 Plan\n    quadrant-2 Do now\n    quadrant-3 Drop\n    quadrant-4 Maybe later\n    Dark mode: [0.3, 0.6]\n    PNG export: [0.2, 0.85]\n    Live collaboration: [0.9, 0.8]\n",
    },
    Sample {
        slug: "requirement",
        name: "Requirement diagram",
        source: "requirementDiagram\n    requirement no_lost_edit {\n        id: 1\n        text: \"No saved edit is ever lost\"\n        risk: high\n        verifymethod: test\n    }\n    element editor {\n        type: \"web page\"\n    }\n    editor - satisfies -> no_lost_edit\n",
    },
    Sample {
        slug: "c4",
        name: "C4 diagram",
        source: "C4Context\n    title Reef in a home lab\n    Person(you, \"You\", \"Writes diagrams\")\n    System(reef, \"Reef\", \"Mermaid studio\")\n    System_Ext(ci, \"CI job\", \"Pushes diagrams\")\n    Rel(you, reef, \"Edits\", \"HTTPS\")\n    Rel(ci, reef, \"PUT /api/diagrams\", \"Bearer token\")\n",
    },
    Sample {
        slug: "sankey",
        name: "Sankey diagram",
        source: "sankey-beta\nRequests,Pages,310\nRequests,API,670\nAPI,Cache hit,420\nAPI,Render,250\nPages,Cache hit,200\nPages,Render,110\n",
    },
    Sample {
        slug: "xychart",
        name: "XY chart",
        source: "xychart-beta\n    title \"Diagrams per month\"\n    x-axis [Jan, Feb, Mar, Apr, May, Jun]\n    y-axis \"Diagrams\" 0 --> 60\n    bar [12, 19, 25, 31, 41, 52]\n    line [10, 18, 26, 30, 40, 50]\n",
    },
    Sample {
        slug: "block",
        name: "Block diagram",
        source: "block-beta\n    columns 3\n    browser[\"Browser\"] script[\"Script\"] agent[\"Agent\"]\n    space:3\n    server[\"Reef\"]:3\n    browser --> server\n    script --> server\n    agent --> server\n",
    },
    Sample {
        slug: "packet",
        name: "Packet diagram",
        source: "packet-beta\n    title UDP header\n    0-15: \"Source port\"\n    16-31: \"Destination port\"\n    32-47: \"Length\"\n    48-63: \"Checksum\"\n",
    },
    Sample {
        slug: "kanban",
        name: "Kanban",
        source: "kanban\n  todo[To do]\n    k1[Dark mode]\n  doing[In progress]\n    k2[Templates]\n  done[Done]\n    k3[API tokens]\n",
    },
    Sample {
        slug: "architecture",
        name: "Architecture diagram",
        source: "architecture-beta\n    group home(cloud)[Home lab]\n    service proxy(internet)[Reverse proxy] in home\n    service reef(server)[Reef] in home\n    service db(database)[SQLite] in home\n    proxy:R --> L:reef\n    reef:R --> L:db\n",
    },
    Sample {
        slug: "radar",
        name: "Radar chart",
        source: "radar-beta\n    title Skills\n    axis design[\"Design\"], code[\"Code\"], ops[\"Ops\"], docs[\"Docs\"], tests[\"Tests\"]\n    curve you[\"You\"]{4, 5, 3, 4, 5}\n",
    },
    Sample {
        slug: "treemap",
        name: "Treemap",
        source: "treemap-beta\n\"Storage\"\n    \"Diagrams\"\n        \"Flowcharts\": 40\n        \"Sequences\": 25\n    \"Revisions\": 20\n    \"Trash\": 5\n",
    },
];

/// The sample called `slug`, if any.
pub fn by_slug(slug: &str) -> Option<&'static Sample> {
    SAMPLES.iter().find(|s| s.slug == slug)
}
