"""New mail (C), forward (f), Bcc / subject / files in the reply composer, merge (M), split (b), undo from the
history (H) and reminders (m), driven through their keys against the fake service."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Input, OptionList, TextArea

from tests.tui.conftest import SIZE, make_app, said, settle
from tests.tui.fake_service import FakeComptoir, FakeConversation
from tui.screens.composer import ComposerScreen
from tui.screens.conversation import ConversationScreen
from tui.screens.main import MainScreen
from tui.screens.new_mail import NewMailScreen
from tui.screens.outbound_dialogs import MergeDialog, PickMessageDialog, RemindDialog, UndoHistoryDialog
from tui.widgets.attach_field import AttachField, complete_path


def notifications(app) -> list[str]:
    return said(app)


async def _type(pilot, selector: str, text: str) -> None:
    box = pilot.app.screen.query_one(selector, Input)
    box.focus()
    box.value = text
    await pilot.pause()


async def test_C_writes_new_mail_with_a_file_completed_from_its_path(fake_service: FakeComptoir, tmp_path) -> None:
    (tmp_path / "offre-été.pdf").write_bytes(b"%PDF offer")
    assert complete_path(str(tmp_path / "off")) == str(tmp_path / "offre-été.pdf")
    assert complete_path(str(tmp_path / "zzz")) is None
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        assert isinstance(app.screen, NewMailScreen)
        await _type(pilot, "#mail-to", "new@client.test")
        await _type(pilot, "#mail-bcc", "archive@acme.test")
        await _type(pilot, "#mail-subject", "Our offer")
        box = app.screen.query_one("#attach-path", Input)
        box.focus()
        await pilot.press(*str(tmp_path / "off"))
        await settle(pilot)
        await pilot.press("right")  # accepts the suggestion
        assert box.value == str(tmp_path / "offre-été.pdf")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query_one(AttachField).paths == [tmp_path / "offre-été.pdf"]
        await _type(pilot, "#attach-path", str(tmp_path / "missing.txt"))
        await pilot.press("enter")
        await settle(pilot)
        assert any("there is no such file" in n for n in notifications(app))
        app.screen.query_one(TextArea).insert("Hello, here is our offer.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
    [sent] = fake_service.composed
    assert sent["to"] == ("new@client.test",) and sent["bcc"] == ("archive@acme.test",)
    assert sent["subject"] == "Our offer" and sent["from"] == "support@acme.test"
    assert sent["files"] == [("offre-été.pdf", b"%PDF offer")]
    assert fake_service.conversations[max(fake_service.conversations)].owner == "ann"


async def test_new_mail_needs_a_subject_and_confirms_many_recipients(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        await _type(pilot, "#mail-to", "a@x.test, b@x.test")
        await _type(pilot, "#mail-bcc", "c@x.test")
        app.screen.query_one(TextArea).insert("Hi")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("needs a subject" in n for n in notifications(app))
        await _type(pilot, "#mail-subject", "Hello")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "3 recipients (more than 2)" in str(app.screen.query_one(".dialog-body").render())
        await pilot.press("y")
        await settle(pilot)
    assert fake_service.composed[0]["bcc"] == ("c@x.test",)


async def test_reply_with_bcc_an_edited_subject_and_a_file(fake_service: FakeComptoir, tmp_path) -> None:
    (tmp_path / "scan.png").write_bytes(b"\x89PNG")
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "r")
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen)
        assert app.screen.query_one("#composer-subject", Input).value == "Re: Invoice 2231 is wrong"
        await _type(pilot, "#composer-bcc", "boss@acme.test")
        await _type(pilot, "#composer-subject", "Invoice 2231: corrected")
        await _type(pilot, "#attach-path", str(tmp_path / "scan.png"))
        await pilot.press("enter")
        app.screen.query_one(TextArea).insert("Corrected invoice attached.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
    reply = fake_service.replies[-1]
    assert reply["bcc"] == ("boss@acme.test",) and reply["subject"] == "Invoice 2231: corrected"
    assert reply["files"] == [("scan.png", b"\x89PNG")]


async def test_an_unchanged_subject_is_left_to_the_server(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "r")
        await settle(pilot)
        app.screen.query_one(TextArea).insert("Thanks.")
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert fake_service.replies[-1]["subject"] is None and fake_service.replies[-1]["files"] == []


async def test_f_forwards_the_chosen_message(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, PickMessageDialog)
        options = app.screen.query_one(OptionList)
        assert options.option_count == 3  # the note is not offered
        await pilot.press("enter")  # the newest: the one with the scan
        await settle(pilot)
        assert isinstance(app.screen, NewMailScreen)
        assert "with its 1 attachment" in str(app.screen.query_one("#composer-title").render())
        assert app.screen.query_one("#mail-subject", Input).value == "Fwd: Invoice 2231 is wrong"
        await _type(pilot, "#mail-to", "accounting@acme.test")
        app.screen.query_one(TextArea).insert("Please check.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
    [forward] = fake_service.forwards
    newest = fake_service.conversations[1].messages[-1]
    assert forward["message"] == newest.id and forward["to"] == ("accounting@acme.test",)
    assert forward["body"] == "Please check." and forward["subject"] == "Fwd: Invoice 2231 is wrong"


async def test_M_merges_another_conversation_of_the_customer_and_H_undoes_it(fake_service: FakeComptoir) -> None:
    other = fake_service.add_conversation(
        FakeConversation(6, "Invoice 2231, again", "Marie Curie", "marie@radium.test", owner="ann")
    )
    fake_service.add_message(6, "inbound", "Me again about the invoice.")
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")
        await settle(pilot)
        await pilot.press("M")
        await settle(pilot)
        assert isinstance(app.screen, MergeDialog)
        assert app.screen.query_one(OptionList).option_count == 1
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        assert len(fake_service.conversations[1].messages) == 5 and other.messages == []
        await pilot.press("H")
        await settle(pilot)
        assert isinstance(app.screen, UndoHistoryDialog)
        assert "undo merge" in str(app.screen.query_one(OptionList).get_option_at_index(0).prompt)
        await pilot.press("enter")
        await settle(pilot)
        assert len(fake_service.conversations[1].messages) == 4 and len(other.messages) == 1
        await pilot.press("H")
        await settle(pilot)
        assert isinstance(app.screen, UndoHistoryDialog)
        assert not app.screen.query(OptionList)  # nothing left to undo
        await pilot.press("q")


async def test_b_splits_a_message_out(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, PickMessageDialog)
        await pilot.press("enter")
        await settle(pilot)
    newest = max(fake_service.conversations)
    assert newest == 6 and [m.text for m in fake_service.conversations[6].messages] == [
        "Any news? See the attached scan."
    ]
    assert any("is conversation #6 now" in n for n in notifications(app))


async def test_m_sets_a_reminder_and_refuses_a_bad_time(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "m")
        await settle(pilot)
        assert isinstance(app.screen, RemindDialog)
        await _type(pilot, "#remind-when", "someday")
        await _type(pilot, "#remind-text", "call back")
        await pilot.press("enter")
        await settle(pilot)
        assert "neither a duration" in str(app.screen.query_one("#remind-error").render())
        await _type(pilot, "#remind-when", "2h")
        await _type(pilot, "#remind-text", "call back")
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, RemindDialog)
    [reminder] = fake_service.reminders()
    assert (reminder.conversation_id, reminder.text) == (1, "call back")
    assert reminder.due_at == fake_service.now() + timedelta(hours=2)
