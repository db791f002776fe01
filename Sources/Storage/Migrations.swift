import GRDB
import KoblingCore

extension AppDatabase {
    /// The schema's history. A migration that has shipped is never edited: change the schema with
    /// a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 accounts, people, organisations, tags") { db in
            try db.execute(sql: """
                CREATE TABLE account (
                  id TEXT PRIMARY KEY NOT NULL,
                  email TEXT NOT NULL UNIQUE,
                  passwordHash TEXT NOT NULL,
                  role TEXT NOT NULL CHECK (role IN ('member', 'organiser')),
                  createdAt TEXT NOT NULL,
                  passwordChangedAt TEXT NOT NULL
                );
                CREATE TABLE session (
                  tokenHash TEXT PRIMARY KEY NOT NULL,
                  accountId TEXT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                  createdAt TEXT NOT NULL,
                  expiresAt TEXT NOT NULL
                );
                CREATE INDEX session_account ON session(accountId);
                CREATE TABLE passwordReset (
                  tokenHash TEXT PRIMARY KEY NOT NULL,
                  accountId TEXT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                  createdAt TEXT NOT NULL,
                  expiresAt TEXT NOT NULL,
                  usedAt TEXT
                );
                CREATE INDEX passwordReset_account ON passwordReset(accountId);
                CREATE TABLE tag (
                  id TEXT PRIMARY KEY NOT NULL,
                  kind TEXT NOT NULL,
                  labelDa TEXT NOT NULL,
                  labelEn TEXT NOT NULL,
                  synonyms TEXT NOT NULL DEFAULT '[]',
                  sortKey TEXT NOT NULL
                );
                CREATE INDEX tag_kind ON tag(kind, sortKey);
                CREATE TABLE person (
                  id TEXT PRIMARY KEY NOT NULL,
                  accountId TEXT UNIQUE REFERENCES account(id) ON DELETE SET NULL,
                  name TEXT NOT NULL,
                  sortKey TEXT NOT NULL,
                  headline TEXT,
                  bio TEXT,
                  roles TEXT NOT NULL DEFAULT '[]',
                  languages TEXT NOT NULL DEFAULT '[]',
                  region TEXT,
                  availabilityHoursPerMonth INTEGER,
                  links TEXT NOT NULL DEFAULT '[]',
                  matchableSince TEXT,
                  publicFields TEXT NOT NULL DEFAULT '[]',
                  createdAt TEXT NOT NULL,
                  updatedAt TEXT NOT NULL,
                  version INTEGER NOT NULL,
                  documentFull TEXT NOT NULL,
                  documentPublic TEXT NOT NULL
                );
                CREATE INDEX person_sort ON person(sortKey, id);
                CREATE TABLE personTag (
                  personId TEXT NOT NULL REFERENCES person(id) ON DELETE CASCADE,
                  tagId TEXT NOT NULL REFERENCES tag(id) ON DELETE RESTRICT,
                  position INTEGER NOT NULL,
                  PRIMARY KEY (personId, tagId)
                ) WITHOUT ROWID;
                CREATE INDEX personTag_tag ON personTag(tagId, personId);
                CREATE TABLE organisation (
                  id TEXT PRIMARY KEY NOT NULL,
                  kind TEXT NOT NULL,
                  name TEXT NOT NULL,
                  sortKey TEXT NOT NULL,
                  description TEXT,
                  website TEXT,
                  region TEXT,
                  createdAt TEXT NOT NULL,
                  updatedAt TEXT NOT NULL,
                  version INTEGER NOT NULL
                );
                CREATE INDEX organisation_sort ON organisation(sortKey, id);
                CREATE TABLE organisationTag (
                  organisationId TEXT NOT NULL REFERENCES organisation(id) ON DELETE CASCADE,
                  tagId TEXT NOT NULL REFERENCES tag(id) ON DELETE RESTRICT,
                  position INTEGER NOT NULL,
                  PRIMARY KEY (organisationId, tagId)
                ) WITHOUT ROWID;
                CREATE INDEX organisationTag_tag ON organisationTag(tagId, organisationId);
                CREATE TABLE membership (
                  organisationId TEXT NOT NULL REFERENCES organisation(id) ON DELETE CASCADE,
                  personId TEXT NOT NULL REFERENCES person(id) ON DELETE CASCADE,
                  role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
                  title TEXT,
                  createdAt TEXT NOT NULL,
                  PRIMARY KEY (organisationId, personId)
                ) WITHOUT ROWID;
                CREATE INDEX membership_person ON membership(personId);
                -- Full-text search keeps æ, ø and å as letters of their own (remove_diacritics 0).
                CREATE VIRTUAL TABLE personSearch USING fts5(
                  personId UNINDEXED, publicText, allText, tokenize = 'unicode61 remove_diacritics 0');
                CREATE VIRTUAL TABLE organisationSearch USING fts5(
                  organisationId UNINDEXED, text, tokenize = 'unicode61 remove_diacritics 0');
                CREATE VIRTUAL TABLE tagSearch USING fts5(
                  tagId UNINDEXED, text, tokenize = 'unicode61 remove_diacritics 0');
                """)
        }
        migrator.registerMigration("v2 idempotency keys") { db in
            try db.execute(sql: """
                CREATE TABLE idempotencyKey (
                  scope TEXT NOT NULL,
                  key TEXT NOT NULL,
                  requestHash TEXT NOT NULL,
                  status INTEGER,
                  headers TEXT,
                  body BLOB,
                  createdAt TEXT NOT NULL,
                  PRIMARY KEY (scope, key)
                ) WITHOUT ROWID;
                CREATE INDEX idempotencyKey_created ON idempotencyKey(createdAt);
                """)
        }
        migrator.registerMigration("v3 outbox") { db in
            try db.execute(sql: """
                CREATE TABLE outbox (
                  id TEXT PRIMARY KEY,
                  kind TEXT NOT NULL,
                  dedupeKey TEXT UNIQUE,
                  recipient TEXT NOT NULL,
                  message BLOB NOT NULL,
                  status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
                  attempts INTEGER NOT NULL DEFAULT 0,
                  notBefore TEXT NOT NULL,
                  lastError TEXT,
                  messageId TEXT,
                  reply TEXT,
                  createdAt TEXT NOT NULL,
                  updatedAt TEXT NOT NULL,
                  sentAt TEXT
                );
                CREATE INDEX outbox_due ON outbox(status, notBefore);
                CREATE INDEX outbox_created ON outbox(createdAt, id);
                """)
        }
        migrator.registerMigration("v4 mailing lists and subscribers") { db in
            try db.execute(sql: """
                CREATE TABLE mailingList (
                  id TEXT PRIMARY KEY,
                  name TEXT NOT NULL,
                  description TEXT NOT NULL,
                  consentText TEXT NOT NULL,
                  createdAt TEXT NOT NULL
                );
                CREATE TABLE subscriber (
                  id TEXT PRIMARY KEY,
                  listId TEXT NOT NULL REFERENCES mailingList(id) ON DELETE CASCADE,
                  email TEXT NOT NULL,
                  name TEXT,
                  accountId TEXT REFERENCES account(id) ON DELETE SET NULL,
                  status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'unsubscribed', 'suppressed')),
                  confirmTokenHash TEXT UNIQUE,
                  confirmExpiresAt TEXT,
                  unsubscribeToken TEXT NOT NULL UNIQUE,
                  consentText TEXT NOT NULL,
                  consentAt TEXT NOT NULL,
                  consentSource TEXT NOT NULL,
                  createdAt TEXT NOT NULL,
                  updatedAt TEXT NOT NULL,
                  confirmedAt TEXT,
                  UNIQUE (listId, email)
                );
                CREATE INDEX subscriber_list_status ON subscriber(listId, status);
                CREATE TABLE subscribeAttempt (
                  key TEXT NOT NULL,
                  createdAt TEXT NOT NULL
                );
                CREATE INDEX subscribeAttempt_key ON subscribeAttempt(key, createdAt);
                """)
        }
        migrator.registerMigration("v5 newsletter issues, bounces and suppression") { db in
            // The outbox gains the issue and subscriber a newsletter row is for (one row per pair)
            // and a "skipped" state for rows that must not go out after all (an unsubscribe during
            // the send, a suppressed address, a cancelled send). SQLite cannot change a CHECK, so
            // the table is built anew.
            try db.execute(sql: """
                CREATE TABLE newsletterIssue (
                  id TEXT PRIMARY KEY,
                  listId TEXT NOT NULL REFERENCES mailingList(id) ON DELETE CASCADE,
                  subject TEXT NOT NULL,
                  preheader TEXT NOT NULL,
                  body TEXT NOT NULL,
                  status TEXT NOT NULL CHECK (status IN ('draft', 'scheduled', 'held', 'sending', 'paused', 'cancelled', 'sent')),
                  statusReason TEXT,
                  scheduledAt TEXT,
                  version INTEGER NOT NULL,
                  createdAt TEXT NOT NULL,
                  updatedAt TEXT NOT NULL,
                  startedAt TEXT,
                  sentAt TEXT
                );
                CREATE INDEX newsletterIssue_list ON newsletterIssue(listId, createdAt);
                CREATE INDEX newsletterIssue_status ON newsletterIssue(status, scheduledAt);
                CREATE INDEX newsletterIssue_sent ON newsletterIssue(sentAt, id) WHERE status = 'sent';

                CREATE TABLE outboxNew (
                  id TEXT PRIMARY KEY,
                  kind TEXT NOT NULL,
                  dedupeKey TEXT UNIQUE,
                  recipient TEXT NOT NULL,
                  message BLOB NOT NULL,
                  status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'skipped')),
                  attempts INTEGER NOT NULL DEFAULT 0,
                  notBefore TEXT NOT NULL,
                  lastError TEXT,
                  messageId TEXT,
                  reply TEXT,
                  createdAt TEXT NOT NULL,
                  updatedAt TEXT NOT NULL,
                  sentAt TEXT,
                  issueId TEXT REFERENCES newsletterIssue(id) ON DELETE CASCADE,
                  subscriberId TEXT REFERENCES subscriber(id) ON DELETE SET NULL
                );
                INSERT INTO outboxNew (id, kind, dedupeKey, recipient, message, status, attempts, notBefore, lastError,
                  messageId, reply, createdAt, updatedAt, sentAt)
                SELECT id, kind, dedupeKey, recipient, message, status, attempts, notBefore, lastError,
                  messageId, reply, createdAt, updatedAt, sentAt FROM outbox;
                DROP TABLE outbox;
                ALTER TABLE outboxNew RENAME TO outbox;
                -- The claim's whole order over the queued rows only: taking the next row reads one
                -- index entry even when thousands share a notBefore, and a row leaves the index
                -- once, when it is claimed. Each status change of a send rewrites as few pages as
                -- it can: a newsletter send is thousands of them.
                CREATE INDEX outbox_due ON outbox(notBefore, createdAt, id) WHERE status = 'queued';
                CREATE INDEX outbox_created ON outbox(createdAt, id);
                CREATE UNIQUE INDEX outbox_issue_subscriber ON outbox(issueId, subscriberId) WHERE issueId IS NOT NULL;
                CREATE INDEX outbox_issue_active ON outbox(issueId) WHERE status IN ('queued', 'sending');

                CREATE TABLE bounce (
                  id TEXT PRIMARY KEY,
                  email TEXT NOT NULL,
                  kind TEXT NOT NULL CHECK (kind IN ('hard', 'soft')),
                  outboxId TEXT NOT NULL,
                  detail TEXT NOT NULL,
                  createdAt TEXT NOT NULL,
                  UNIQUE (outboxId, kind)
                );
                CREATE INDEX bounce_email ON bounce(email, createdAt);
                CREATE TABLE suppression (
                  email TEXT PRIMARY KEY,
                  reason TEXT NOT NULL,
                  createdAt TEXT NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v6 one table of attempts for every hourly limit") { db in
            // Subscriptions were the first hourly limit; sign-ups share the table now.
            try db.execute(sql: """
                ALTER TABLE subscribeAttempt RENAME TO attempt;
                DROP INDEX subscribeAttempt_key;
                CREATE INDEX attempt_key ON attempt(key, createdAt);
                """)
        }
        migrator.registerMigration("v7 verified addresses and preferred languages") { db in
            // Accounts made before addresses were verified start unverified, except organisers,
            // whose accounts an operator made on the command line with the address typed in.
            try db.execute(sql: """
                ALTER TABLE account ADD COLUMN emailVerifiedAt TEXT;
                ALTER TABLE account ADD COLUMN language TEXT;
                ALTER TABLE subscriber ADD COLUMN language TEXT;
                UPDATE account SET emailVerifiedAt = createdAt WHERE role = 'organiser';
                CREATE TABLE addressVerification (
                  tokenHash TEXT PRIMARY KEY NOT NULL,
                  accountId TEXT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                  email TEXT NOT NULL,
                  createdAt TEXT NOT NULL,
                  expiresAt TEXT NOT NULL,
                  usedAt TEXT
                );
                CREATE INDEX addressVerification_account ON addressVerification(accountId, createdAt);
                CREATE INDEX account_verified ON account(emailVerifiedAt);
                """)
        }
        migrator.registerMigration("v8 tags and organisations keep their JSON documents") { db in
            // Empty documents are rendered when the database opens (renderMissingDocuments).
            try db.execute(sql: """
                ALTER TABLE tag ADD COLUMN document TEXT NOT NULL DEFAULT '';
                ALTER TABLE organisation ADD COLUMN document TEXT NOT NULL DEFAULT '';
                """)
        }
        migrator.registerMigration("v9 the archive keeps its renderings") { db in
            // Filled when an issue is sent, and for every sent issue when the server starts.
            try db.execute(sql: """
                ALTER TABLE newsletterIssue ADD COLUMN archiveEntry TEXT;
                ALTER TABLE newsletterIssue ADD COLUMN archiveDocument TEXT;
                ALTER TABLE newsletterIssue ADD COLUMN archiveHTML TEXT;
                ALTER TABLE newsletterIssue ADD COLUMN archiveLine TEXT;
                """)
        }
        migrator.registerMigration("v10 memberships and mailing lists keep their JSON documents") { db in
            try db.execute(sql: """
                ALTER TABLE membership ADD COLUMN document TEXT NOT NULL DEFAULT '';
                ALTER TABLE mailingList ADD COLUMN document TEXT NOT NULL DEFAULT '';
                -- A page of tags in their order reads the first rows of this index, sorting nothing.
                CREATE INDEX tag_sort ON tag(sortKey, id);
                """)
        }
        migrator.registerMigration("v11 people's search index keyed by an integer of the person's") { db in
            // The index held each person's id as a column: finding a person's row meant reading the
            // whole index, and every match a lookup of its id. Keyed by the person's searchKey,
            // both are one b-tree step. The key is copied from the rowid once and kept in a column,
            // since VACUUM may renumber rowids.
            try db.execute(sql: """
                ALTER TABLE person ADD COLUMN searchKey INTEGER;
                UPDATE person SET searchKey = rowid;
                CREATE UNIQUE INDEX person_searchKey ON person(searchKey);
                CREATE VIRTUAL TABLE personSearchByKey USING fts5(
                  publicText, allText, tokenize = 'unicode61 remove_diacritics 0');
                INSERT INTO personSearchByKey (rowid, publicText, allText)
                  SELECT p.searchKey, s.publicText, s.allText FROM personSearch s JOIN person p ON p.id = s.personId;
                DROP TABLE personSearch;
                ALTER TABLE personSearchByKey RENAME TO personSearch;
                INSERT INTO personSearch(personSearch) VALUES ('optimize');
                """)
        }
        migrator.registerMigration("v12 every search index keyed by its owner's integer, with prefix indexes") { db in
            // Organisations and tags get the key people got in v11. All three indexes keep prefix
            // indexes of 2 to 6 letters: every word of a search is a prefix term, which without them
            // merges the lists of every indexed word that starts with it, on every search.
            try db.execute(sql: """
                ALTER TABLE organisation ADD COLUMN searchKey INTEGER;
                UPDATE organisation SET searchKey = rowid;
                CREATE UNIQUE INDEX organisation_searchKey ON organisation(searchKey);
                ALTER TABLE tag ADD COLUMN searchKey INTEGER;
                UPDATE tag SET searchKey = rowid;
                CREATE UNIQUE INDEX tag_searchKey ON tag(searchKey);

                CREATE VIRTUAL TABLE personSearchV12 USING fts5(
                  publicText, allText, tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3 4 5 6');
                INSERT INTO personSearchV12 (rowid, publicText, allText) SELECT rowid, publicText, allText FROM personSearch;
                DROP TABLE personSearch;
                ALTER TABLE personSearchV12 RENAME TO personSearch;
                INSERT INTO personSearch(personSearch) VALUES ('optimize');

                CREATE VIRTUAL TABLE organisationSearchV12 USING fts5(
                  text, tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3 4 5 6');
                INSERT INTO organisationSearchV12 (rowid, text)
                  SELECT o.searchKey, s.text FROM organisationSearch s JOIN organisation o ON o.id = s.organisationId;
                DROP TABLE organisationSearch;
                ALTER TABLE organisationSearchV12 RENAME TO organisationSearch;
                INSERT INTO organisationSearch(organisationSearch) VALUES ('optimize');

                CREATE VIRTUAL TABLE tagSearchV12 USING fts5(
                  text, tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3 4 5 6');
                INSERT INTO tagSearchV12 (rowid, text) SELECT t.searchKey, s.text FROM tagSearch s JOIN tag t ON t.id = s.tagId;
                DROP TABLE tagSearch;
                ALTER TABLE tagSearchV12 RENAME TO tagSearch;
                INSERT INTO tagSearch(tagSearch) VALUES ('optimize');
                """)
        }
        migrator.registerMigration("v13 outbox claims are leases") { db in
            // A row marked sending names who claimed it and until when the claim holds; one whose
            // claim lapsed goes back to the queue while the server runs. Rows found sending from
            // before have no holder and are handed back by the next start, as before. No index of
            // its own: the rows sending are found by outbox_due, and are few.
            try db.execute(sql: """
                ALTER TABLE outbox ADD COLUMN claimedBy TEXT;
                ALTER TABLE outbox ADD COLUMN claimedAt TEXT;
                ALTER TABLE outbox ADD COLUMN leaseUntil TEXT;
                """)
        }
        migrator.registerMigration("v14 pitches") { db in
            // A pitch's JSON document holds every field; the columns and the tables beside it are
            // what lists filter and sort on. The clinical domain is among its tags here, so that
            // a tag filter finds it either way.
            try db.execute(sql: """
                CREATE TABLE pitch (
                  id TEXT PRIMARY KEY,
                  title TEXT NOT NULL,
                  sortKey TEXT NOT NULL,
                  language TEXT NOT NULL,
                  status TEXT NOT NULL,
                  visibility TEXT NOT NULL,
                  authorId TEXT NOT NULL REFERENCES person(id) ON DELETE CASCADE,
                  organisationId TEXT REFERENCES organisation(id) ON DELETE SET NULL,
                  createdAt TEXT NOT NULL,
                  updatedAt TEXT NOT NULL,
                  version INTEGER NOT NULL,
                  searchKey INTEGER,
                  document TEXT NOT NULL
                );
                CREATE INDEX pitch_sort ON pitch(sortKey, id);
                CREATE INDEX pitch_status ON pitch(status, sortKey, id);
                CREATE INDEX pitch_author ON pitch(authorId);
                CREATE INDEX pitch_organisation ON pitch(organisationId);
                CREATE UNIQUE INDEX pitch_searchKey ON pitch(searchKey);
                CREATE TABLE pitchTag (
                  pitchId TEXT NOT NULL REFERENCES pitch(id) ON DELETE CASCADE,
                  tagId TEXT NOT NULL REFERENCES tag(id) ON DELETE RESTRICT,
                  PRIMARY KEY (pitchId, tagId)
                ) WITHOUT ROWID;
                CREATE INDEX pitchTag_tag ON pitchTag(tagId, pitchId);
                CREATE TABLE pitchRole (
                  pitchId TEXT NOT NULL REFERENCES pitch(id) ON DELETE CASCADE,
                  role TEXT NOT NULL,
                  PRIMARY KEY (pitchId, role)
                ) WITHOUT ROWID;
                CREATE INDEX pitchRole_role ON pitchRole(role, pitchId);
                CREATE TABLE pitchLanguage (
                  pitchId TEXT NOT NULL REFERENCES pitch(id) ON DELETE CASCADE,
                  language TEXT NOT NULL,
                  PRIMARY KEY (pitchId, language)
                ) WITHOUT ROWID;
                CREATE INDEX pitchLanguage_language ON pitchLanguage(language, pitchId);
                CREATE TABLE pitchInterest (
                  pitchId TEXT NOT NULL REFERENCES pitch(id) ON DELETE CASCADE,
                  personId TEXT NOT NULL REFERENCES person(id) ON DELETE CASCADE,
                  createdAt TEXT NOT NULL,
                  PRIMARY KEY (pitchId, personId)
                ) WITHOUT ROWID;
                CREATE INDEX pitchInterest_person ON pitchInterest(personId);
                CREATE TABLE pitchShortlist (
                  pitchId TEXT NOT NULL REFERENCES pitch(id) ON DELETE CASCADE,
                  personId TEXT NOT NULL REFERENCES person(id) ON DELETE CASCADE,
                  createdAt TEXT NOT NULL,
                  PRIMARY KEY (pitchId, personId)
                ) WITHOUT ROWID;
                CREATE INDEX pitchShortlist_person ON pitchShortlist(personId);
                CREATE VIRTUAL TABLE pitchSearch USING fts5(
                  text, tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3 4 5 6');
                """)
        }
        migrator.registerMigration("v15 jobs") { db in
            // Background work for the job runner. A job with a key is enqueued at most once.
            try db.execute(sql: """
                CREATE TABLE job (
                  id TEXT PRIMARY KEY,
                  kind TEXT NOT NULL,
                  key TEXT UNIQUE,
                  payload TEXT NOT NULL,
                  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
                  dueAt TEXT NOT NULL,
                  attempts INTEGER NOT NULL DEFAULT 0,
                  maxAttempts INTEGER NOT NULL,
                  lastError TEXT,
                  claimedBy TEXT,
                  claimedAt TEXT,
                  leaseUntil TEXT,
                  createdAt TEXT NOT NULL,
                  updatedAt TEXT NOT NULL,
                  finishedAt TEXT
                );
                CREATE INDEX job_due ON job(status, dueAt, id);
                CREATE INDEX job_list ON job(createdAt, id);
                """)
        }
        migrator.registerMigration("v16 match rounds, runs, locks and blocks, conflicts of interest") { db in
            // A round's settings are its JSON document; a run keeps the settings it ran with, its
            // document, and the engine's result as JSON beside it. At most one run of a round is
            // active.
            try db.execute(sql: """
                CREATE TABLE matchRound (
                  id TEXT PRIMARY KEY,
                  name TEXT NOT NULL,
                  status TEXT NOT NULL,
                  createdAt TEXT NOT NULL,
                  updatedAt TEXT NOT NULL,
                  version INTEGER NOT NULL,
                  document TEXT NOT NULL
                );
                CREATE INDEX matchRound_list ON matchRound(createdAt, id);
                CREATE TABLE matchRun (
                  id TEXT PRIMARY KEY,
                  roundId TEXT NOT NULL REFERENCES matchRound(id) ON DELETE CASCADE,
                  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
                  jobId TEXT NOT NULL,
                  createdAt TEXT NOT NULL,
                  settings TEXT NOT NULL,
                  document TEXT NOT NULL,
                  result TEXT
                );
                CREATE INDEX matchRun_round ON matchRun(roundId, createdAt, id);
                CREATE UNIQUE INDEX matchRun_active ON matchRun(roundId) WHERE status IN ('queued', 'running');
                CREATE TABLE matchPairRule (
                  roundId TEXT NOT NULL REFERENCES matchRound(id) ON DELETE CASCADE,
                  pitchId TEXT NOT NULL REFERENCES pitch(id) ON DELETE CASCADE,
                  personId TEXT NOT NULL REFERENCES person(id) ON DELETE CASCADE,
                  rule TEXT NOT NULL CHECK (rule IN ('lock', 'block')),
                  createdAt TEXT NOT NULL,
                  PRIMARY KEY (roundId, pitchId, personId)
                ) WITHOUT ROWID;
                CREATE TABLE conflictOfInterest (
                  personId TEXT NOT NULL REFERENCES person(id) ON DELETE CASCADE,
                  target TEXT NOT NULL,
                  createdAt TEXT NOT NULL,
                  PRIMARY KEY (personId, target)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v17 proposals and collaborations") { db in
            // A published round's proposals, one a person and pitch, and the collaborations
            // that both sides' yes began. Each keeps its JSON document beside the columns that
            // lists filter on.
            try db.execute(sql: """
                CREATE TABLE proposal (
                  id TEXT PRIMARY KEY,
                  roundId TEXT NOT NULL REFERENCES matchRound(id) ON DELETE CASCADE,
                  pitchId TEXT NOT NULL REFERENCES pitch(id) ON DELETE CASCADE,
                  personId TEXT NOT NULL REFERENCES person(id) ON DELETE CASCADE,
                  authorId TEXT NOT NULL REFERENCES person(id) ON DELETE CASCADE,
                  status TEXT NOT NULL,
                  createdAt TEXT NOT NULL,
                  document TEXT NOT NULL,
                  UNIQUE (roundId, pitchId, personId)
                );
                CREATE INDEX proposal_person ON proposal(personId, createdAt);
                CREATE INDEX proposal_author ON proposal(authorId, createdAt);
                CREATE INDEX proposal_pair ON proposal(pitchId, personId, status);
                CREATE TABLE collaboration (
                  id TEXT PRIMARY KEY,
                  roundId TEXT NOT NULL REFERENCES matchRound(id) ON DELETE CASCADE,
                  proposalId TEXT NOT NULL UNIQUE REFERENCES proposal(id) ON DELETE CASCADE,
                  pitchId TEXT NOT NULL REFERENCES pitch(id) ON DELETE CASCADE,
                  personId TEXT NOT NULL REFERENCES person(id) ON DELETE CASCADE,
                  authorId TEXT NOT NULL REFERENCES person(id) ON DELETE CASCADE,
                  status TEXT NOT NULL,
                  createdAt TEXT NOT NULL,
                  version INTEGER NOT NULL,
                  document TEXT NOT NULL
                );
                CREATE INDEX collaboration_person ON collaboration(personId, createdAt);
                CREATE INDEX collaboration_author ON collaboration(authorId, createdAt);
                CREATE INDEX collaboration_list ON collaboration(createdAt, id);
                """)
        }
        migrator.registerMigration("v18 listed pitches in title order") { db in
            // Whether a pitch is listed (approved or matched), with an index in the order lists
            // read them: a page walks it and stops, where the status index (two statuses) had
            // every listed pitch sorted, documents and all, for each page.
            try db.execute(sql: """
                ALTER TABLE pitch ADD COLUMN listed INTEGER NOT NULL DEFAULT 0;
                UPDATE pitch SET listed = CASE WHEN status IN ('approved', 'matched') THEN 1 ELSE 0 END;
                CREATE INDEX pitch_listed ON pitch(listed, sortKey, id);
                """)
        }
        migrator.registerMigration("v19 matchmaking sessions") { db in
            // A published round's session (one a round, planned again in place) and each
            // person's meetings in it, for the person's own schedule.
            try db.execute(sql: """
                CREATE TABLE sessionSchedule (
                  roundId TEXT PRIMARY KEY REFERENCES matchRound(id) ON DELETE CASCADE,
                  createdAt TEXT NOT NULL,
                  document TEXT NOT NULL
                );
                CREATE TABLE sessionMeeting (
                  roundId TEXT NOT NULL REFERENCES sessionSchedule(roundId) ON DELETE CASCADE,
                  pitchId TEXT NOT NULL,
                  personId TEXT NOT NULL REFERENCES person(id) ON DELETE CASCADE,
                  startsAt TEXT NOT NULL,
                  document TEXT NOT NULL,
                  PRIMARY KEY (roundId, pitchId, personId)
                );
                CREATE INDEX sessionMeeting_person ON sessionMeeting(personId, startsAt, roundId, pitchId);
                """)
        }
        migrator.registerMigration("v20 mentoring requests and mentors' capacity") { db in
            // A mentoring request is a pitch of kind 'mentoring', never listed among the pitches;
            // a mentor says how many mentees they take. Rounds gain a kind in their documents,
            // rendered again when the database opens (renderMissingDocuments).
            try db.execute(sql: """
                ALTER TABLE person ADD COLUMN menteeCapacity INTEGER;
                ALTER TABLE pitch ADD COLUMN kind TEXT NOT NULL DEFAULT 'pitches';
                CREATE INDEX pitch_kind ON pitch(kind, status, createdAt, id);
                """)
        }
        return migrator
    }
}
