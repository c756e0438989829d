"""HTTPS, host and origin checks end to end: the app served over real TLS (hypercorn, a CA and a
certificate made here with `cryptography`) and registered on a signing restate-server that
trusts that CA; the same app over plain HTTP is refused. The origin policy is checked with no
`Origin` header (what restate-server sends), a matching one and a wrong one."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from pathlib import Path
from typing import Iterator

import httpx
import pytest
import restate
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from rea_runtime.security import secure_app, sign_request
from rea_runtime.testing import RestateServer
from rea_runtime.testing.harness import SigningIdentity
from rea_runtime.testing.serve import AppServer

tls_svc = restate.Service("TlsGreeter")
MANIFEST = {"accept": "application/vnd.restate.endpointmanifest.v3+json"}


@tls_svc.handler()
async def hello(ctx: restate.Context, name: str) -> str:
    return f"hi {name} over tls"


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_tls(dir_: Path) -> tuple[str, str, str]:
    """(ca.pem, cert.pem, key.pem): a throwaway CA and a 127.0.0.1/localhost certificate it signed."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rea test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            # the key identifiers RFC 5280 asks for: Python 3.13 verifies strictly (VERIFY_X509_STRICT)
            # and refuses a certificate without its issuer's ("Missing Authority Key Identifier")
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = dir_ / "ca.pem", dir_ / "cert.pem", dir_ / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(_pem(key))
    return str(paths[0]), str(paths[1]), str(paths[2])


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str]:
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def identity() -> Iterator[SigningIdentity]:
    ident = SigningIdentity()
    yield ident
    ident.close()


@pytest.fixture(scope="module")
def tls_server(tls, identity) -> Iterator[RestateServer]:
    """A signing restate-server that trusts the test CA (rustls reads SSL_CERT_FILE)."""
    server = RestateServer(extra_env={SigningIdentity.ENV: identity.pem_path, "SSL_CERT_FILE": tls[0]}).start()
    yield server
    server.stop()


def _app(identity: SigningIdentity):
    return secure_app([tls_svc], identity_keys=[identity.public_key], mode="strict", require_https=True,
                      allowed_hosts=["127.0.0.1", "localhost"], allowed_origins=["https://console.example"])


def test_https_deployment_works_end_to_end_and_plain_http_is_refused(tls, tls_server, identity) -> None:
    secure = AppServer(_app(identity), certfile=tls[1], keyfile=tls[2]).start()
    plain = AppServer(_app(identity)).start()
    try:
        assert secure.url.startswith("https://")
        tls_server.register(secure.url)  # signed discovery over TLS, through every check
        with httpx.Client(base_url=tls_server.ingress_url, timeout=30) as client:
            resp = client.post("/TlsGreeter/hello", json="ada")
        assert resp.status_code == 200 and resp.json() == "hi ada over tls"
        with pytest.raises(Exception, match="HTTPS required"):
            tls_server.register(plain.url)  # the same app without TLS refuses the server's discovery
    finally:
        secure.stop()
        plain.stop()


def test_host_and_origin_over_tls(tls, identity) -> None:
    secure = AppServer(_app(identity), certfile=tls[1], keyfile=tls[2]).start()
    try:
        signed = sign_request(identity.private_key, "/discover")
        with httpx.Client(base_url=secure.url, verify=ssl.create_default_context(cafile=tls[0]), timeout=10) as client:
            def discover(**headers: str) -> httpx.Response:
                return client.get("/discover", headers={**signed, **MANIFEST, **headers})

            assert discover().status_code == 200  # no Origin: not a browser (restate-server sends none)
            assert discover(origin="https://console.example").status_code == 200
            wrong = discover(origin="https://evil.example")
            assert wrong.status_code == 403 and "allowed_origins" in wrong.text
            host = discover(host="evil.example")
            assert host.status_code == 403 and "allowed_hosts" in host.text
            unsigned = client.get("/discover", headers=MANIFEST)
            assert unsigned.status_code == 401  # the SDK's own verifier, behind rea's checks
    finally:
        secure.stop()
