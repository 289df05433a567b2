"""Observers and the update listener from Python: deltas of every
container type, local/remote origins, unsubscribe, exceptions in callbacks."""

import unittest

import tandem


class EventsTest(unittest.TestCase):
    def test_deltas_of_every_type(self):
        a, b = tandem.Doc(1), tandem.Doc(2)
        root = a.root
        t, lst, c = root.text("t"), root.list("l"), root.counter("c")
        root["k"] = 1
        b.apply_update(a.encode_update())
        seen_a, seen_b = [], []
        sub = a.observe(root, seen_a.append, deep=True)
        b.observe(b.root, seen_b.append, deep=True)
        with a.transaction("edit") as txn:
            t.insert(0, "hello")
            t.delete(0, 1)
            lst.extend(["x", 2.5])
            m = lst.append_container("map")
            c.add(5)
            root["k"] = False
            root["new"] = "n"
        self.assertEqual(len(seen_a), 1)
        ev = seen_a[0]
        self.assertTrue(ev.local)
        self.assertEqual(ev.origin, "edit")
        by_path = {ch.path: ch for ch in ev.changes}
        self.assertEqual(by_path["/t"].text_delta, [("insert", "ello")])
        self.assertEqual(by_path["/l"].list_delta, [("insert", ["x", 2.5, m])])
        self.assertEqual(by_path["/c"].counter_delta, 5)
        self.assertEqual(by_path[""].keys, {"k": (1, False), "new": (tandem.MISSING, "n")})
        self.assertEqual(by_path["/t"].container, t)

        b.apply_update(txn.update, origin="net")
        self.assertEqual(len(seen_b), 1)
        self.assertFalse(seen_b[0].local)
        self.assertEqual(seen_b[0].origin, "net")
        self.assertEqual({ch.path: ch.text_delta for ch in seen_b[0].changes}["/t"],
                         [("insert", "ello")])

        with a.transaction():
            t.delete(1, 2)
            del root["new"]
        by_path = {ch.path: ch for ch in seen_a[-1].changes}
        self.assertEqual(by_path["/t"].text_delta, [("retain", 1), ("delete", 2)])
        self.assertEqual(by_path[""].keys, {"new": ("n", tandem.MISSING)})

        sub.close()
        sub.close()
        c.add(1)
        self.assertEqual(len(seen_a), 2)

    def test_shallow_and_unsubscribe_in_callback(self):
        a = tandem.Doc(1)
        m = a.root.map("m")
        shallow, deep = [], []
        a.observe(a.root, shallow.append)
        subs = []

        def once(ev):
            deep.append(ev)
            subs[0].close()  # unsubscribing from inside the callback is allowed

        subs.append(a.observe(a.root, once, deep=True))
        m["x"] = 1
        m["y"] = 2
        self.assertEqual(len(shallow), 0)
        self.assertEqual(len(deep), 1)
        a.root["z"] = 3
        self.assertEqual(len(shallow), 1)

    def test_callback_exception_reaches_the_caller(self):
        a = tandem.Doc(1)

        def boom(ev):
            raise RuntimeError("from callback")

        a.observe(a.root, boom)
        with self.assertRaises(RuntimeError):
            a.root["k"] = 1
        self.assertEqual(a.root["k"], 1)  # the change stands

    def test_update_listener_mirrors(self):
        a, mirror = tandem.Doc(1), tandem.Doc(2)
        updates = []
        a.on_update(lambda u: (updates.append(u), mirror.apply_update(u)))
        with a.transaction():
            a.root.text("t").insert(0, "abc")
        a.root["t"].insert(3, "d")
        self.assertEqual(len(updates), 2)
        self.assertEqual(mirror.to_json(), a.to_json())
        a.on_update(None)
        a.root["x"] = 1
        self.assertEqual(len(updates), 2)


if __name__ == "__main__":
    unittest.main()
