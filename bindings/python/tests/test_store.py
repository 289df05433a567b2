"""Store from Python: save/append/load, compaction, versions, errors."""

import os
import tempfile
import unittest

import tandem


class StoreTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "docs.db")

    def tearDown(self):
        self.dir.cleanup()

    def test_round_trip_versions_and_inspect(self):
        with tandem.Store(self.path, sync="normal") as store:
            doc = tandem.Doc(1)
            updates = []
            doc.on_update(updates.append)
            with doc.transaction():
                doc.root.text("body").insert(0, "hello")
            store.save("notes", doc)
            v1 = store.create_version("notes", "first")
            doc.root["body"].insert(5, " world")
            seq = store.append("notes", updates[-1])
            self.assertGreaterEqual(seq, 2)
            store.flush()
            self.assertEqual(store.docs(), ["notes"])
            self.assertIn("notes", store)
            loaded = store.load("notes", peer_id=5)
            self.assertEqual(loaded.to_json(), '{"body":"hello world"}')
            self.assertEqual(loaded.peer_id, 5)
            info = store.info("notes")
            self.assertEqual(info.last_seq, seq)
            store.compact("notes")
            self.assertEqual(store.info("notes").log_rows, 0)
            versions = store.versions("notes")
            self.assertEqual([v.label for v in versions], ["first"])
            old = store.load_version("notes", v1)
            self.assertEqual(old.to_py(), {"body": "hello"})
            self.assertIn("notes", store.inspect())
            store.delete_version("notes", v1)
            with self.assertRaises(tandem.NotFoundError):
                store.load_version("notes", v1)
            store.delete("notes")
            with self.assertRaises(tandem.NotFoundError) as cm:
                store.load("notes")
            self.assertIn("notes", cm.exception.message)

    def test_errors(self):
        store = tandem.Store(self.path)
        with self.assertRaises(tandem.BusyError):
            tandem.Store(self.path)
        with self.assertRaises(tandem.InvalidArgumentError):
            store.append("", b"x")
        with self.assertRaises(ValueError):
            tandem.Store(self.path + "2", sync="sometimes")
        store.append("broken", b"\xff\xff")
        with self.assertRaises(tandem.StorageError):
            store.load("broken")
        store.close()
        store.close()
        with self.assertRaises(ValueError):
            store.docs()
        with self.assertRaises(tandem.TandemError):
            tandem.Store(os.path.join(self.dir.name, "missing.db"), create_if_missing=False)


if __name__ == "__main__":
    unittest.main()
