"""Server and Client from Python: a server and two clients in one process
converging, a host-driven server run by a select() loop, auth (read-only
writers, refused tokens, revoke), awareness, offline persistence and closed
clients. Loopback only; every wait is
bounded (WAIT seconds)."""

import os
import select
import tempfile
import threading
import time
import unittest

import tandem

WAIT = 10.0


def converged(a, b, needle=None):
    ja, jb = a.to_json(), b.to_json()
    return ja == jb and (needle is None or needle in ja)


class NetTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        tandem.set_network_log_level("none")

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def test_server_and_two_clients_converge(self):
        with tandem.Server(self.path("server.db"), sync="normal") as server, \
                tandem.Client(server.url) as alice, tandem.Client(server.url) as bob:
            self.assertGreater(server.port, 0)
            a, b = tandem.Doc(), tandem.Doc()
            alice.subscribe("notes", a)
            bob.subscribe("notes", b)
            self.assertTrue(alice.wait_until(
                lambda: alice.status == "synced" and bob.status == "synced", WAIT, [bob]))
            with a.transaction("alice"):
                a.root.text("body").insert(0, "hello")
                a.root.counter("n").add(2)
            with b.transaction("bob"):
                b.root["title"] = "from bob"
                b.root.counter("n").add(3)
            self.assertTrue(alice.wait_until(lambda: converged(a, b, '"n":5'), WAIT, [bob]))
            self.assertEqual(a.to_py(), {"body": "hello", "n": 5, "title": "from bob"})
            # Events: statuses, syncs, remote changes and acks were seen.
            b.root["more"] = True
            seen = []
            self.assertTrue(alice.wait_until(lambda: "more" in a.root, WAIT, [bob],
                                             on_event=lambda c, e: seen.append(e)))
            self.assertIn("remote_change", [e.type for e in seen])
            self.assertTrue(a.root["more"])
            self.assertIsNone(alice.poll_event())

    def test_events_status_and_fd(self):
        with tandem.Server(self.path("s.db")) as server, \
                tandem.Client(server.url, connect=False) as c:
            self.assertEqual(c.status, "offline")
            c.subscribe("d", tandem.Doc())
            c.connect()
            events = []
            self.assertTrue(c.wait_until(lambda: any(e.type == "synced" for e in events), WAIT,
                                         on_event=lambda _c, e: events.append(e)))
            statuses = [e.status for e in events if e.type == "status"]
            self.assertIn("connecting", statuses)
            self.assertIn("online", statuses)
            self.assertTrue(any(e.type == "synced" and e.doc == "d" for e in events))
            self.assertFalse(c.wait(0))  # drained: the fd is not readable
            c.disconnect()
            self.assertTrue(c.wait(WAIT))
            self.assertIn("offline", [e.status for e in c.events()])

    def test_auth_read_only_and_revoke(self):
        def auth(token, doc):
            return {"w": "write", "r": "read"}.get(token[:1], "none")

        with tandem.Server(self.path("auth.db"), auth=auth) as server, \
                tandem.Client(server.url, token="w1") as writer, \
                tandem.Client(server.url, token="r1") as reader, \
                tandem.Client(server.url, token="x") as stranger:
            w, r = writer.subscribe("doc", tandem.Doc()), reader.subscribe("doc", tandem.Doc())
            stranger.subscribe("doc", tandem.Doc())
            self.assertTrue(writer.wait_until(
                lambda: writer.status == "synced" and reader.status == "synced", WAIT, [reader]))
            w.root["by"] = "writer"
            self.assertTrue(writer.wait_until(lambda: converged(w, r, "writer"), WAIT, [reader]))
            r.root["sneaky"] = 1
            errors = []
            self.assertTrue(reader.wait_until(
                lambda: errors, WAIT,
                on_event=lambda _c, e: e.type == "error" and errors.append(e)))
            self.assertEqual(errors[0].code, 4)  # forbidden
            self.assertNotIn("sneaky", w.root)
            refused = []
            self.assertTrue(stranger.wait_until(
                lambda: refused, WAIT,
                on_event=lambda _c, e: e.type == "error" and refused.append(e)))
            self.assertEqual(refused[0].code, 3)  # unauthorized
            server.revoke_token("w1")
            self.assertTrue(writer.wait_until(lambda: writer.status == "offline", WAIT))
            server.reauthorize()

    def test_awareness(self):
        with tandem.Server(self.path("aw.db")) as server, \
                tandem.Client(server.url) as a, tandem.Client(server.url) as b:
            a.subscribe("room", tandem.Doc())
            b.subscribe("room", tandem.Doc())
            a.set_awareness("room", '{"name":"ann"}')
            self.assertTrue(b.wait_until(
                lambda: b.awareness("room") == {a.peer_id: b'{"name":"ann"}'}, WAIT, [a]))
            a.set_awareness("room", None)
            self.assertTrue(b.wait_until(lambda: b.awareness("room") == {}, WAIT, [a]))
            with self.assertRaises(tandem.NotFoundError):
                a.awareness("elsewhere")

    def test_offline_persistence(self):
        offline = self.path("client.db")
        with tandem.Server(self.path("srv.db")) as server:
            with tandem.Client(server.url, offline_db_path=offline, connect=False) as c:
                d = c.subscribe("trip", tandem.Doc())
                d.root["packed"] = "tent"
            with tandem.Client(server.url, offline_db_path=offline) as c, \
                    tandem.Client(server.url) as other:
                d = c.subscribe("trip", tandem.Doc())
                self.assertEqual(d.root["packed"], "tent")  # the stored replica
                o = other.subscribe("trip", tandem.Doc())
                self.assertTrue(c.wait_until(lambda: converged(d, o, "tent"), WAIT, [other]))

    def test_closed_client_and_errors(self):
        c = tandem.Client("ws://127.0.0.1:1/", connect=False)
        c.subscribe("x", tandem.Doc())
        with self.assertRaises(tandem.InvalidArgumentError):
            c.subscribe("x", tandem.Doc())
        c.close()
        for call in (lambda: c.status, c.connect, lambda: c.subscribe("y", tandem.Doc()),
                     c.poll_event, c.fileno, lambda: c.awareness("x")):
            with self.assertRaises(tandem.ClosedError):
                call()
        c.free()
        with self.assertRaises(tandem.ClosedError):
            c.status
        with self.assertRaises(tandem.InvalidArgumentError):
            tandem.Client("http://nowhere/")
        with self.assertRaises(TypeError):
            tandem.Server(self.path("z.db"), no_such_limit=1)


    def test_host_driven_server(self):
        auth_threads = set()

        def auth(token, doc):
            auth_threads.add(threading.get_ident())
            return "write"

        server = tandem.Server(self.path("host.db"), sync="normal", host_driven=True, auth=auth)
        with self.assertRaises(tandem.ClosedError):
            server.service(0)  # not started
        server.start()  # this thread is now the service thread
        alice, bob = tandem.Client(server.url), tandem.Client(server.url)
        a, b = tandem.Doc(), tandem.Doc()
        alice.subscribe("notes", a)
        bob.subscribe("notes", b)
        a.root.text("body").insert(0, "hi from a host loop")

        def serve_until(predicate):
            deadline = time.monotonic() + WAIT
            while not predicate():
                if time.monotonic() > deadline:
                    return False
                t = server.timeout()
                ready, _, _ = select.select([server, alice, bob], [], [],
                                            0.05 if t is None else min(t, 0.05))
                server.service(0)
                for c in (alice, bob):
                    if c in ready:
                        c.events()
            return True

        self.assertTrue(serve_until(lambda: converged(a, b, "host loop")))
        self.assertEqual(auth_threads, {threading.get_ident()})
        # Another thread's call waits for this thread's service() and its
        # auth callbacks run here; the same call here runs at once.
        done = threading.Event()
        other = threading.Thread(target=lambda: (server.reauthorize(), done.set()))
        other.start()
        self.assertTrue(serve_until(done.is_set))
        other.join()
        server.reauthorize()
        self.assertEqual(auth_threads, {threading.get_ident()})
        errors = []

        def wrong_thread():
            try:
                server.service(0)
            except tandem.BusyError as e:
                errors.append(e)
        t = threading.Thread(target=wrong_thread)
        t.start()
        t.join()
        self.assertEqual(len(errors), 1)
        server.stop()  # drives the loop itself until peers are closed
        with self.assertRaises(tandem.ClosedError):
            server.service(0)
        alice.free()
        bob.free()
        server.close()
        # An own-thread server has no loop to drive.
        with tandem.Server(self.path("own.db"), sync="normal") as own:
            with self.assertRaises(tandem.InvalidArgumentError):
                own.service(0)


if __name__ == "__main__":
    unittest.main()
