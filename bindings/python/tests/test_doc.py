"""Doc, Map, List, Text, Counter: Python container behaviour, sync,
snapshots, paths, sticky positions and errors mapped from status codes."""

import collections.abc
import unittest

import tandem


def sync(a, b):
    b.apply_update(a.encode_update(b.version))
    a.apply_update(b.encode_update(a.version))


class MapTest(unittest.TestCase):
    def setUp(self):
        self.doc = tandem.Doc(1)
        self.root = self.doc.root

    def tearDown(self):
        self.doc.close()

    def test_mutable_mapping(self):
        m = self.root
        self.assertIsInstance(m, collections.abc.MutableMapping)
        m["int"] = 5
        m["str"] = "hé"
        m["float"] = 1.5
        m["bool"] = True
        m["none"] = None
        m["bytes"] = b"\x00\x01"
        self.assertEqual(len(m), 6)
        self.assertEqual(m["int"], 5)
        self.assertIs(m["bool"], True)
        self.assertEqual(m["bytes"], b"\x00\x01")
        self.assertIn("str", m)
        self.assertNotIn("nope", m)
        self.assertNotIn(3, m)
        self.assertEqual(sorted(m), ["bool", "bytes", "float", "int", "none", "str"])
        self.assertEqual(m.get("nope", 7), 7)
        del m["int"]
        with self.assertRaises(KeyError):
            m["int"]
        with self.assertRaises(KeyError):
            del m["int"]
        self.assertEqual(m.pop("float"), 1.5)
        m.update({"x": 1, "y": 2})
        self.assertEqual(m, {"str": "hé", "bool": True, "none": None, "bytes": b"\x00\x01",
                             "x": 1, "y": 2})
        self.assertEqual(self.doc.to_py()["bytes"], "AAE=")

    def test_bad_values_and_keys(self):
        with self.assertRaises(TypeError):
            self.root["x"] = object()
        with self.assertRaises(TypeError):
            self.root[1] = 1
        with self.assertRaises(OverflowError):
            self.root["x"] = 1 << 70
        with self.assertRaises(UnicodeEncodeError):
            self.root["x"] = "\ud800"
        with self.assertRaises(TypeError):
            self.root["x"] = self.root
        self.assertEqual(len(self.root), 0)

    def test_nested_containers_and_paths(self):
        shapes = self.root.map("shapes")
        shape = shapes.map("s/1")
        points = shape.list("points")
        points.extend([1, 2, 3])
        title = points.insert_container(1, "text")
        title.insert(0, "hi")
        votes = self.root.counter("votes")
        votes.add(3)
        votes += -1
        self.assertEqual(votes.value, 2)
        self.assertEqual(int(votes), 2)
        self.assertEqual(self.doc.to_json(),
                         '{"shapes":{"s/1":{"points":[1,"hi",2,3]}},"votes":2}')
        self.assertEqual(self.doc.resolve("/shapes/s~11/points"), points)
        self.assertEqual(self.doc.resolve("/shapes/s~11/points/1"), title)
        self.assertEqual(title.path, "/shapes/s~11/points/1")
        self.assertEqual(points[1], title)
        self.assertEqual(self.root["shapes"], shapes)
        self.assertEqual(points.to_py(), [1, "hi", 2, 3])
        with self.assertRaises(tandem.NotFoundError) as cm:
            self.doc.resolve("/nope")
        self.assertIn("nope", str(cm.exception))
        with self.assertRaises(tandem.InvalidArgumentError):
            self.doc.resolve("nope")
        # Same key, same type: the same container.
        self.assertEqual(self.root.map("shapes"), shapes)
        # A removed container keeps working, unreachable.
        del points[1]
        with self.assertRaises(tandem.NotFoundError):
            title.path
        title.append("!")
        self.assertEqual(str(title), "hi!")

    def test_wrong_type_is_type_error(self):
        t = self.root.text("t")
        lst = self.root.list("l")
        # Forge a handle of the wrong kind: the library refuses it.
        forged = tandem.Map(self.doc, t._h)
        with self.assertRaises(tandem.WrongTypeError) as cm:
            forged["k"] = 1
        self.assertIsInstance(cm.exception, TypeError)
        self.assertIn("text", cm.exception.message)
        with self.assertRaises(tandem.WrongTypeError):
            tandem.Counter(self.doc, lst._h).add(1)

    def test_handles_of_another_doc(self):
        other = tandem.Doc(2)
        t = other.root.text("t")
        with self.assertRaises(tandem.InvalidArgumentError) as cm:
            tandem.Text(self.doc, t._h).insert(0, "x")
        self.assertIn("another document", str(cm.exception))
        other.close()


class ListTextCounterTest(unittest.TestCase):
    def setUp(self):
        self.doc = tandem.Doc(1)

    def tearDown(self):
        self.doc.close()

    def test_mutable_sequence(self):
        lst = self.doc.root.list("l")
        self.assertIsInstance(lst, collections.abc.MutableSequence)
        lst.append("b")
        lst.insert(0, "a")
        lst.extend([1, 2.5, None])
        self.assertEqual(list(lst), ["a", "b", 1, 2.5, None])
        self.assertEqual(lst[-1], None)
        self.assertEqual(lst[1:3], ["b", 1])
        lst[2] = "one"
        self.assertEqual(lst[2], "one")
        del lst[-1]
        del lst[0:2]
        self.assertEqual(lst, ["one", 2.5])
        self.assertEqual(lst.index(2.5), 1)
        self.assertEqual(lst.pop(), 2.5)
        lst.reverse()
        with self.assertRaises(IndexError):
            lst[5]
        with self.assertRaises(IndexError):
            del lst[5]
        m = lst.append_container("map")
        m["k"] = 1
        self.assertEqual(self.doc.to_py(), {"l": ["one", {"k": 1}]})
        with self.assertRaises(ValueError):
            lst.insert_container(0, "tree")

    def test_text_units(self):
        t = self.doc.root.text("t")
        t.insert(0, "a\u00e9\U0001F600b")
        self.assertEqual(len(t), 4)
        self.assertEqual(t.length("utf16"), 5)
        self.assertEqual(t.length("utf8"), 8)
        self.assertEqual(t.convert_index(3, "codepoint", "utf16"), 4)
        t.insert(4, "X", unit="utf16")
        t.delete(3, 4, unit="utf8")
        self.assertEqual(str(t), "a\u00e9Xb")
        self.assertEqual(t, "a\u00e9Xb")
        with self.assertRaises(tandem.RangeError):
            t.insert(99, "x")
        with self.assertRaises(tandem.InvalidArgumentError):
            t.insert(2, "x", unit="utf8")  # inside é
        with self.assertRaises(ValueError):
            t.insert(0, "x", unit="bytes")
        with self.assertRaises(tandem.RangeError):
            t.delete(0, 99)

    def test_counter_wraps(self):
        c = self.doc.root.counter("c")
        c.add((1 << 63) - 1)
        c.add(2)
        self.assertEqual(c.value, -(1 << 63) + 1)


class SyncTest(unittest.TestCase):
    def test_concurrent_edits_converge(self):
        a, b = tandem.Doc(1), tandem.Doc(2)
        a.root.list("items").append("from a")
        b.root.list("items").append("from b")
        a.root.text("t").insert(0, "hello")
        sync(a, b)
        b.root.text("t").insert(5, " world")
        a.root.text("t").insert(0, ">> ")
        sync(a, b)
        self.assertEqual(a.to_json(), b.to_json())
        self.assertEqual(str(b.root["t"]), ">> hello world")
        self.assertEqual(len(a.root["items"]), 2)
        self.assertEqual(len(a.version), 32)

    def test_transaction_update_and_pending(self):
        a, b = tandem.Doc(1), tandem.Doc(2)
        with a.transaction("one") as t1:
            a.root.text("t").insert(0, "ab")
            self.assertTrue(a.in_transaction)
        with a.transaction("two") as t2:
            a.root["t"].insert(2, "cd")
        self.assertFalse(a.in_transaction)
        r = b.apply_update(t2.update)
        self.assertGreater(b.pending_ops, 0)
        self.assertEqual(r.applied_ops, 0)
        r = b.apply_update(t1.update)
        self.assertEqual(b.pending_ops, 0)
        self.assertEqual(str(b.root["t"]), "abcd")
        with a.transaction() as t3:
            pass
        self.assertEqual(t3.update, b"")

    def test_transaction_commits_on_exception(self):
        a = tandem.Doc(1)
        with self.assertRaises(RuntimeError):
            with a.transaction("x"):
                a.root["k"] = 1
                raise RuntimeError("boom")
        self.assertFalse(a.in_transaction)
        self.assertEqual(a.root["k"], 1)

    def test_malformed_updates(self):
        a, b = tandem.Doc(1), tandem.Doc(2)
        a.root["k"] = "v"
        u = a.encode_update()
        with self.assertRaises(tandem.ProtocolError) as cm:
            b.apply_update(u[: len(u) // 2])
        self.assertIsInstance(cm.exception, ValueError)
        self.assertTrue(cm.exception.message)
        self.assertEqual(cm.exception.code, -5)
        with self.assertRaises(tandem.VersionError):
            b.apply_update(b"")
        with self.assertRaises(tandem.ProtocolError):
            a.encode_update(b"\x01" * 15)
        small = tandem.Doc(3, max_update_bytes=4)
        with self.assertRaises(tandem.LimitError):
            small.apply_update(u)
        self.assertEqual(b.to_json(), "{}")

    def test_snapshots(self):
        a = tandem.Doc(1)
        a.root.text("t").insert(0, "snap")
        snap = a.snapshot()
        b = tandem.Doc.from_snapshot(snap, peer_id=9)
        self.assertEqual(b.peer_id, 9)
        self.assertEqual(b.to_json(), a.to_json())
        self.assertEqual(b.snapshot(), snap)
        self.assertGreater(a.memory_usage, 0)
        with self.assertRaises(tandem.ProtocolError):
            tandem.Doc.from_snapshot(snap[:-1])
        self.assertNotEqual(tandem.Doc().peer_id, 0)

    def test_sticky_positions(self):
        a, b = tandem.Doc(1), tandem.Doc(2)
        t = a.root.text("t")
        t.insert(0, "\U0001F600xy")
        pos = t.sticky(2, unit="utf16")  # before "x"
        t.insert(0, "ab")
        self.assertEqual(pos.index("utf16"), 4)
        self.assertEqual(pos.index(), 3)
        self.assertEqual(pos.container, t)
        sync(a, b)
        q = b.decode_sticky(pos.encode())
        self.assertEqual(q.index(), 3)
        with self.assertRaises(tandem.ProtocolError):
            b.decode_sticky(pos.encode()[:-1])
        lst = a.root.list("l")
        lst.extend([1, 2])
        end = lst.sticky(2)
        lst.append(3)
        self.assertEqual(end.index(), 3)
        with self.assertRaises(tandem.WrongTypeError):
            a.sticky_at(a.root, 0)
        with self.assertRaises(ValueError):
            t.sticky(0, assoc="sideways")

    def test_closed_doc(self):
        a = tandem.Doc(1)
        root = a.root
        a.close()
        a.close()
        with self.assertRaises(ValueError):
            root["k"] = 1
        with tandem.Doc() as d:
            d.root["k"] = 1
        with self.assertRaises(ValueError):
            d.to_json()


class ErrorsTest(unittest.TestCase):
    def test_hierarchy(self):
        for cls in (tandem.InvalidArgumentError, tandem.ProtocolError, tandem.NotFoundError,
                    tandem.RangeError, tandem.WrongTypeError, tandem.StorageError,
                    tandem.BusyError, tandem.VersionError, tandem.LimitError):
            self.assertTrue(issubclass(cls, tandem.TandemError))
            self.assertIsInstance(cls.code, int)
        self.assertTrue(issubclass(tandem.NotFoundError, LookupError))
        self.assertTrue(issubclass(tandem.RangeError, IndexError))

    def test_library(self):
        self.assertEqual(tandem.__version__.count("."), 2)
        self.assertTrue(tandem.library_path)


if __name__ == "__main__":
    unittest.main()
