"""One adapter per provider (see `base`): `adapter_for(provider)`."""

from savdo.messaging.providers.base import Adapter
from savdo.messaging.providers.evolution import EvolutionAdapter
from savdo.messaging.providers.telegram import TelegramAdapter
from savdo.messaging.providers.whatsapp_cloud import WhatsAppCloudAdapter

ADAPTERS: dict[str, Adapter] = {
    adapter.provider: adapter for adapter in (TelegramAdapter(), WhatsAppCloudAdapter(), EvolutionAdapter())
}


def adapter_for(provider: str) -> Adapter:
    return ADAPTERS[provider]
