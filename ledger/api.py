"""The ledger's public face: what is in circulation and the latest signed seal, so anyone can
check the published head against `ledger_verify` and the public keys."""

from cryptography.hazmat.primitives import serialization
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.routes import Routes

from . import sealing, selectors
from .models import Block

routes = Routes()


class CurrencySupplySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    decimals = serializers.IntegerField()
    supply = serializers.IntegerField(help_text="Tokens in circulation, in minor units.")


class BlockSerializer(serializers.ModelSerializer):
    class Meta:
        model = Block
        fields = (
            "height",
            "txid_from",
            "txid_to",
            "first_transfer_id",
            "last_transfer_id",
            "transfer_count",
            "merkle_root",
            "prev_hash",
            "hash",
            "key_id",
            "signature",
            "sealed_at",
        )


class TransparencySerializer(serializers.Serializer):
    currencies = CurrencySupplySerializer(many=True)
    head = BlockSerializer(allow_null=True)


class PublicKeySerializer(serializers.Serializer):
    key_id = serializers.CharField()
    algorithm = serializers.CharField()
    public_key_pem = serializers.CharField()


@routes("transparency/", name="api-transparency")
class TransparencyView(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()

    @extend_schema(responses=TransparencySerializer, tags=["transparency"])
    def get(self, request: Request) -> Response:
        """Supply per currency and the latest signed block of the ledger."""
        currencies = [
            {"code": c.code, "name": c.name, "decimals": c.decimals, "supply": supply}
            for c, supply in selectors.currency_supplies()
        ]
        head = selectors.block_head()
        return Response(TransparencySerializer({"currencies": currencies, "head": head}).data)


@routes("transparency/keys/", name="api-ledger-keys")
class LedgerKeysView(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()

    @extend_schema(responses=PublicKeySerializer(many=True), tags=["transparency"])
    def get(self, request: Request) -> Response:
        """The Ed25519 public keys that sign ledger blocks, current and retired, by key id."""
        keys = [
            {
                "key_id": key_id,
                "algorithm": "Ed25519",
                "public_key_pem": key.public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                ).decode(),
            }
            for key_id, key in sealing.verify_keys().items()
        ]
        return Response(PublicKeySerializer(keys, many=True).data)
