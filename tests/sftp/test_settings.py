"""Settings validation, partner-profile mapping and free-name parity; no server needed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from connectors.mailbox.local import free_name
from connectors.sftp import SftpSettings, fingerprint, from_profile, mailbox_folder, name_candidates
from connectors.sftp.hostkeys import expected_host_keys, key_from_line
from connectors.x12.partners import Sftp
from hub.errors import ConfigError
from sandbox.sftp import generate_keypair


@pytest.fixture
def key_line(tmp_path) -> str:
    return generate_keypair(tmp_path / "k")


def test_host_key_accepts_bare_commented_and_keyscan_lines(key_line: str) -> None:
    kind, data, _comment = key_line.split()
    bare = f"{kind} {data}"
    for given in (bare, key_line, f"[sftp.example]:2222 {bare}", f"sftp.example {bare}  # note"):
        assert SftpSettings(host="h", user="u", password="p", host_key=given).host_key == bare


@pytest.mark.parametrize("bad", ["ssh-ed25519", "ssh-dss AAAAB3Nza", "not a key at all", "ssh-ed25519 !!!"])
def test_host_key_garbage_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="public key line"):
        SftpSettings(host="h", user="u", password="p", host_key=bad)


def test_host_key_that_does_not_decode_is_a_config_error() -> None:
    settings = SftpSettings(host="h", user="u", password="p", host_key="ssh-ed25519 AAAAB3NzaC1yc2E=")
    with pytest.raises(ConfigError, match="host_key"):
        expected_host_keys(settings)


def test_a_login_method_is_required_and_root_stays_clean() -> None:
    with pytest.raises(ValidationError, match="key_path"):
        SftpSettings(host="h", user="u")
    with pytest.raises(ValidationError, match=r"\.\."):
        SftpSettings(host="h", user="u", password="p", root="/srv/../etc")
    assert SftpSettings(host="h", user="u", password="p", root="/srv/mail/").root == "/srv/mail"
    assert SftpSettings(host="h", user="u", password="p", root="/").root == "/"


def test_every_field_is_described() -> None:
    undocumented = [name for name, info in SftpSettings.model_fields.items() if not info.description]
    assert undocumented == []


def test_from_profile_maps_a_partner_sftp_block(key_line: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_SFTP_KEY", "/run/secrets/acme")
    profile = Sftp(
        host="sftp.acme.example", port=2222, user="hub", key_path="{env: ACME_SFTP_KEY}",
        host_key=" ".join(key_line.split()[:2]), inbox="/outbound", outbox="/inbound",
    )  # fmt: skip
    settings = from_profile(profile, retries=5, known_hosts=None)
    assert (settings.host, settings.port, settings.user, settings.root) == (
        "sftp.acme.example",
        2222,
        "hub",
        "/",
    )
    assert str(settings.key_path) == "/run/secrets/acme" and settings.retries == 5
    assert settings.host_key == profile.host_key
    assert [mailbox_folder(profile.inbox), mailbox_folder(profile.outbox)] == ["outbound", "inbound"]
    expected = expected_host_keys(settings)
    assert [fingerprint(k) for k in expected.keys] == [fingerprint(key_from_line(profile.host_key))]


def test_from_profile_errors_name_what_is_wrong(key_line: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE_KEY", raising=False)
    profile = Sftp(host="h", user="u", key_path="${NOPE_KEY}", host_key=" ".join(key_line.split()[:2]))
    with pytest.raises(ConfigError, match="NOPE_KEY"):
        from_profile(profile)
    with pytest.raises(ConfigError, match="sftp"):
        from_profile(Sftp(host="h", user="u", key_path="/k", host_key=profile.host_key), port=0)
    with pytest.raises(ConfigError, match="server root"):
        mailbox_folder("/")


@pytest.mark.parametrize("name", ["850.x12", "README", "orders.2026.csv", "x.tar.gz"])
def test_free_names_match_local_mailbox(tmp_path, name: str) -> None:
    picked = []
    for _ in range(4):
        target = free_name(tmp_path, name)
        target.write_text("x")
        picked.append(target.name)
    candidates = name_candidates(name)
    assert [next(candidates) for _ in range(4)] == picked
