"""The PostgreSQL registry's tables, version by version (applied by
:func:`gateway.migrations.open_postgres_pool` when the store opens)."""

from __future__ import annotations

# Each entry moves the schema one version up; never edit a released entry, add one.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """
            CREATE TABLE products (
                id text PRIMARY KEY,
                domain text NOT NULL,
                slug text NOT NULL,
                name text NOT NULL,
                description text NOT NULL,
                owner_name text,
                owner_email text,
                tags jsonb NOT NULL,
                status text,
                url text NOT NULL,
                base_url text NOT NULL,
                versions jsonb NOT NULL,
                contracts jsonb NOT NULL,
                search text NOT NULL,
                tag_keys jsonb NOT NULL,
                sort_name text NOT NULL,
                registered_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                UNIQUE (domain, slug)
            )
            """,
            'CREATE INDEX products_order ON products (domain COLLATE "C", sort_name COLLATE "C")',
        ),
    ),
    # issue 9 (contract versions): the contract versions each product served, and the
    # breaking changes it published without a major bump (gateway/registry/versions.py).
    (
        2,
        (
            """
            CREATE TABLE contract_snapshots (
                product_id text NOT NULL REFERENCES products (id) ON DELETE CASCADE,
                contract_id text NOT NULL,
                version text NOT NULL,
                document text NOT NULL,
                PRIMARY KEY (product_id, contract_id, version)
            )
            """,
            """
            CREATE TABLE version_flags (
                product_id text PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
                flags text NOT NULL
            )
            """,
        ),
    ),
    # issue 10 (10,000 products): lookups by key without a scan of every product (the
    # check that a key is free, run by each registration, and get by domain.slug), and
    # the search index (gateway/registry/search_index.py); rows of products registered
    # before are filled in by the store when it opens.
    (
        3,
        (
            "CREATE INDEX products_key ON products (lower(domain), lower(slug))",
            "CREATE INDEX products_dotted ON products (lower(domain || '.' || slug))",
            # The whole listing order, so a page deep in the list walks the index only.
            'CREATE INDEX products_listing ON products (domain COLLATE "C", '
            'sort_name COLLATE "C", name COLLATE "C", id COLLATE "C")',
            """
            CREATE TABLE search_places (
                id bigserial PRIMARY KEY,
                product_id text NOT NULL REFERENCES products (id) ON DELETE CASCADE,
                field text NOT NULL,
                element text,
                text text NOT NULL,
                words text NOT NULL
            )
            """,
            "CREATE INDEX search_places_product ON search_places (product_id)",
            # One row per product: its places' words, weighted A to D by kind of place.
            """
            CREATE TABLE search_docs (
                product_id text PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
                key text NOT NULL,
                doc tsvector NOT NULL
            )
            """,
            "CREATE INDEX search_docs_doc ON search_docs USING gin (doc)",
        ),
    ),
    # issue 10 (search under 50 ms at 10,000 products): each product's words with the
    # summed weight of the places each is found in, so a search adds up a few index rows
    # per product instead of ts_rank reading the tsvector of every product a word matches.
    # Filled here from the places kept (the weights of gateway.search.WEIGHTS).
    (
        4,
        (
            """
            CREATE TABLE search_terms (
                lexeme text COLLATE "C" NOT NULL,
                product_id text NOT NULL REFERENCES products (id) ON DELETE CASCADE,
                key text COLLATE "C" NOT NULL,
                weight real NOT NULL,
                PRIMARY KEY (lexeme, product_id) INCLUDE (key, weight)
            )
            """,
            "CREATE INDEX search_terms_product ON search_terms (product_id)",
            """
            INSERT INTO search_terms (lexeme, product_id, key, weight)
            SELECT w.lexeme, w.product_id, d.key, sum(w.weight)
            FROM (
                SELECT DISTINCT p.id, p.product_id, t.lexeme,
                    CASE p.field WHEN 'name' THEN 10 WHEN 'tag' THEN 6 WHEN 'domain' THEN 5
                        WHEN 'table' THEN 5 WHEN 'column' THEN 4 WHEN 'description' THEN 3
                        WHEN 'table description' THEN 2 ELSE 1 END AS weight
                FROM search_places p, regexp_split_to_table(p.words, ' ') AS t (lexeme)
                WHERE t.lexeme <> ''
            ) w
            JOIN search_docs d ON d.product_id = w.product_id
            GROUP BY w.lexeme, w.product_id, d.key
            """,
        ),
    ),
    # issue 10 (health without the metadata round trip): the metadata links the gateway
    # follows (registry/model.py FOLLOWED_LINKS), as JSON; NULL for products stored
    # before, whose links are read from their metadata until their next refresh.
    (5, ("ALTER TABLE products ADD COLUMN links jsonb",)),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]
