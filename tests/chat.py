"""A person chatting through the sandbox: send text, tap the chips and buttons the bot showed (as LINE
would send them), and read what the bot answered. Used by the end-to-end tests of every capability."""

from __future__ import annotations

from bot.sandbox.users import SimulatedUser


class Chat:
    def __init__(self, sandbox, worker, person: SimulatedUser):
        self.sandbox, self.worker, self.person = sandbox, worker, person
        self.seen = len(sandbox.messages_for(person.user_id))

    @property
    def user_id(self) -> str:
        return self.person.user_id

    def _new(self) -> list[dict]:
        self.worker.run_until_idle()
        messages = self.sandbox.messages_for(self.person.user_id)
        new, self.seen = messages[self.seen:], len(messages)
        return new

    def say(self, text: str) -> list[dict]:
        self.person.send_text(text)
        return self._new()

    def follow(self) -> list[dict]:
        self.person.follow()
        return self._new()

    def act(self, event) -> list[dict]:
        """Any other action of the simulated user (`lambda p: p.send_sticker()`)."""
        event(self.person)
        return self._new()

    def inbox(self) -> list[dict]:
        """Messages that arrived without the person doing anything (pushes)."""
        return self._new()

    def last_text(self) -> str:
        return self.sandbox.messages_for(self.person.user_id)[-1].get("text", "")

    def actions(self) -> dict[str, dict]:
        """Label -> action of the chips under the last message and the buttons of the last Flex card."""
        messages = self.sandbox.messages_for(self.person.user_id)
        found = {}
        for message in messages[-5:]:
            found.update(_buttons(message.get("contents")))
        for item in (messages[-1].get("quickReply") or {}).get("items", []) if messages else []:
            found[item["action"]["label"]] = item["action"]
        return found

    def chips(self) -> list[str]:
        """The labels of the quick-reply chips under the last message, in order."""
        messages = self.sandbox.messages_for(self.person.user_id)
        items = (messages[-1].get("quickReply") or {}).get("items", []) if messages else []
        return [item["action"]["label"] for item in items]

    def tap(self, label: str) -> list[dict]:
        """Tap the chip or button labelled `label` (KeyError if the bot did not show one)."""
        action = self.actions()[label]
        if action["type"] == "message":
            return self.say(action["text"])
        if action["type"] == "postback":
            self.person.tap_postback(action["data"], display_text=action.get("displayText"))
            return self._new()
        raise ValueError(f"cannot tap a {action['type']} action in a test")


def _buttons(node) -> dict:
    found = {}
    if isinstance(node, dict):
        if node.get("type") == "button" and "action" in node:
            found[node["action"]["label"]] = node["action"]
        for value in node.values():
            found.update(_buttons(value))
    elif isinstance(node, list):
        for value in node:
            found.update(_buttons(value))
    return found


def texts(messages: list[dict]) -> str:
    """All text of some messages (Flex alt text included), for `in` checks."""
    return "\n".join(m.get("text") or m.get("altText") or "" for m in messages)
