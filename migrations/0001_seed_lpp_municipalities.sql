-- The ten municipalities of the Landelijk Programma Prostitutie (LPP), as in the ministerial letter of 2020-03-24.
INSERT INTO "municipalities" ("code", "name", "programmes", "created_at", "updated_at") VALUES
  ('GM0363', 'Amsterdam', '{LPP}', now(), now()),
  ('GM0202', 'Arnhem', '{LPP}', now(), now()),
  ('GM0518', '''s-Gravenhage', '{LPP}', now(), now()),
  ('GM0014', 'Groningen', '{LPP}', now(), now()),
  ('GM0796', '''s-Hertogenbosch', '{LPP}', now(), now()),
  ('GM0080', 'Leeuwarden', '{LPP}', now(), now()),
  ('GM0268', 'Nijmegen', '{LPP}', now(), now()),
  ('GM0599', 'Rotterdam', '{LPP}', now(), now()),
  ('GM0855', 'Tilburg', '{LPP}', now(), now()),
  ('GM0344', 'Utrecht', '{LPP}', now(), now())
ON CONFLICT ("code") DO NOTHING;
