"""A stand-in for the LINE platform on loopback, for tests, benchmarks and the embedded demo.

It serves the Messaging API endpoints the bot calls (validated with the SDK's own request models and
LINE's limits; single-use reply tokens that expire; X-Line-Retry-Key with 409 on repeats; injectable
errors, latency and timeouts), records every call, plays LINE users (builds, signs and posts webhook
events, including batches and redeliveries) and offers a chat page where a person talks to the bot.

    sb = Sandbox(channel_secret="...", access_token="...", webhook_url="http://127.0.0.1:5000/callback")
    sb.start()                      # sb.base_url -> Configuration(host=sb.base_url); sb.chat_url for people
    fah = sb.user(display_name="น้องฟ้า")
    fah.follow(); fah.send_text("สวัสดี")
    sb.messages_for(fah.user_id)    # what the bot delivered
    sb.stop()
"""

from bot.sandbox.faults import Fault, FaultInjector
from bot.sandbox.sandbox import Sandbox
from bot.sandbox.users import SimulatedUser
from bot.sandbox.webhook_sender import WebhookResult

__all__ = ["Fault", "FaultInjector", "Sandbox", "SimulatedUser", "WebhookResult"]
