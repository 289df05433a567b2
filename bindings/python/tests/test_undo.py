"""UndoManager over the C ABI: undo/redo, remote edits kept, capture window,
scope, clear, and errors after the Doc is closed."""

import unittest

import tandem


class UndoTest(unittest.TestCase):
    def test_undo_redo_keeps_remote_edits(self):
        a, b = tandem.Doc(1), tandem.Doc(2)
        t = a.root.text("t")
        undo = tandem.UndoManager(a, [t], capture_window_ms=0)
        t.insert(0, "hello")
        t.insert(5, " world")
        b.apply_update(a.encode_update())
        b.root.text("t").insert(0, ">> ")
        a.apply_update(b.encode_update())
        self.assertEqual(str(t), ">> hello world")
        self.assertTrue(undo.undo())
        self.assertEqual(str(t), ">> hello")
        self.assertTrue(undo.undo())
        self.assertEqual(str(t), ">> ")
        self.assertFalse(undo.undo())
        self.assertTrue(undo.can_redo)
        self.assertTrue(undo.redo())
        self.assertEqual(str(t), ">> hello")
        undo.close()

    def test_capture_window_scope_clear_and_closed_doc(self):
        d = tandem.Doc(3)
        t, other = d.root.text("t"), d.root.text("other")
        undo = tandem.UndoManager(d, [t], capture_window_ms=60000)
        t.insert(0, "a")
        t.insert(1, "b")
        undo.stop_capturing()
        t.insert(2, "c")
        other.insert(0, "x")
        self.assertTrue(undo.undo())
        self.assertEqual((str(t), str(other)), ("ab", "x"))
        self.assertTrue(undo.undo())
        self.assertEqual(str(t), "")
        self.assertFalse(undo.can_undo)
        undo.clear()
        self.assertFalse(undo.can_redo)
        with self.assertRaises(ValueError):
            tandem.UndoManager(d, [])
        d.close()
        with self.assertRaises(tandem.ClosedError):
            undo.undo()
        undo.close()
        with self.assertRaises(ValueError):
            undo.undo()


if __name__ == "__main__":
    unittest.main()
