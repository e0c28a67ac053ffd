"""Vendor tokens, bare: each found by its fixed prefix or shape, with no key name needed.

Formats are public facts (vendors' docs, open-source scanners' rule sets); the patterns are
written for this scanner's model (see rules.py): a pattern starts at its keyword, bodies are
bounded, and a token's edges are not inside a longer token.
"""

from __future__ import annotations

from .rule import Rule, bare_token, fake_alnum, fake_base64, fake_hex, lazy, named_token
from .validators import (
    BECH32_ALPHABET,
    age_key_valid,
    bech32_checksum,
    der_private_key_valid,
    random_looking,
)

_W = "[A-Za-z0-9_-]"  # the URL-safe base64 alphabet most token bodies use
_HEX = "[0-9a-f]"
_DIGITS_AWAY = str.maketrans("", "", "0123456789")


def _age_example() -> str:
    data = "".join(BECH32_ALPHABET[(7 * i + 3) % 32] for i in range(52))
    return ("AGE-SECRET-KEY-1" + data + bech32_checksum("age-secret-key-", data)).upper()


def _der_example(header: bytes) -> str:
    import binascii

    body = header + bytes((0x80 + 3 * i) % 256 for i in range(150))
    return binascii.b2a_base64(body, newline=False).decode()


# 30 82 04 a4 02 01 00 02 82 01 01 00: an RSA private key (PKCS#1); 30 82 04 bd 02 01 00 30 0d:
# a PKCS#8 private key; 30 82 03 0a 30 82: a certificate; 30 82 01 22 30 0d: a public key.
_RSA_DER = _der_example(bytes.fromhex("308204a4020100028201010000"))
_PKCS8_DER = _der_example(bytes.fromhex("308204bd020100300d06092a864886f70d0101010500"))
_CERT_DER = _der_example(bytes.fromhex("3082030a308201f2a003020102"))
_PUBLIC_DER = _der_example(bytes.fromhex("30820122300d06092a864886f70d0101010500"))

VENDOR_RULES: tuple[Rule, ...] = (
    bare_token(
        "gitlab-token",
        "GitLab token",
        (
            "glpat-",
            "gldt-",
            "glrt-",
            "glptt-",
            "glsoat-",
            "glffct-",
            "glcbt-",
            "gloas-",
            "glimt-",
            "glagent-",
            "glft-",
            "glrtr-",
            "GR1348941",
        ),
        rf"(?:(?G){_W}){{20,300}}+(?:\.[0-9a-z]{{9}})?",
        examples=(
            f"GITLAB_TOKEN=glpat-{fake_alnum(20)}",
            f"deploy gldt-{fake_alnum(20, 3)}",
            f"runner glrt-{fake_alnum(20, 9)}",
            f"trigger glptt-{fake_hex(40)}",
        ),
        near_misses=("glpat-short", "the glpat- prefix marks personal access tokens"),
    ),
    bare_token(
        "npm-token",
        "npm access token",
        ("npm_",),
        "[A-Za-z0-9]{36}",
        examples=(f"//registry.npmjs.org/:_authToken=npm_{fake_alnum(36)}",),
        near_misses=("npm_config_cache=/tmp/npm", f"npm_{fake_alnum(30)}"),
    ),
    bare_token(
        "pypi-token",
        "PyPI upload token",
        ("pypi-AgEIcHlwaS5vcmc",),  # base64 of the macaroon's location, pypi.org
        rf"(?:(?G){_W}){{50,1000}}+",
        examples=(f"password = pypi-AgEIcHlwaS5vcmc{fake_base64(120, urlsafe=True)}",),
        near_misses=("pypi-AgEIcHlwaS5vcmc is how every PyPI token starts",),
    ),
    bare_token(
        "twilio-key",
        "Twilio API key or account SID",
        ("SK", "AC"),
        f"{_HEX}{{32}}",
        examples=(f"TWILIO_API_KEY=SK{fake_hex(32)}", f"sid AC{fake_hex(32, 0xB3)}"),
        near_misses=(f"SK{fake_hex(31)}", f"ACK{fake_hex(32)}", f"SK{fake_hex(32, upper=True)}"),
    ),
    bare_token(
        "sendgrid-api-key",
        "SendGrid API key",
        ("SG.",),
        rf"{_W}{{22}}\.{_W}{{43}}",
        examples=(f"SENDGRID_API_KEY=SG.{fake_alnum(22)}.{fake_alnum(43, 5)}",),
        near_misses=("SG.example.com is a host", f"SG.{fake_alnum(22)}"),
    ),
    bare_token(
        "vault-token",
        "HashiCorp Vault token",
        ("hvs.", "hvb.", "hvr."),
        rf"{_W}{{24,300}}",
        examples=(f"VAULT_TOKEN=hvs.{fake_alnum(95)}", f"batch hvb.{fake_alnum(140, 7)}"),
        near_misses=("hvs.example", "see hvs.CAESI in the docs"),
    ),
    Rule(
        id="vault-legacy-token",
        description="HashiCorp Vault token (legacy s. form)",
        # "s." + 24 characters is too common to flag bare: only next to a Vault key name.
        pattern=lazy(
            r"(?i:vault)[\w.-]{0,30}?[\"']?[ \t]{0,40}(?::=|=>|[:=])[ \t]{0,8}[\"']?"
            r"(?P<secret>s\.[A-Za-z0-9]{24})(?![A-Za-z0-9])"
        ),
        keywords=("vault",),
        validator=None,
        examples=(f"VAULT_TOKEN=s.{fake_alnum(24)}", f'vault_token: "s.{fake_alnum(24, 1)}"'),
        near_misses=(f"token s.{fake_alnum(24)}", "vault_addr: s.example.com"),
    ),
    bare_token(
        "digitalocean-token",
        "DigitalOcean token",
        ("dop_v1_", "doo_v1_", "dor_v1_"),
        f"{_HEX}{{64}}",
        examples=(f"DIGITALOCEAN_TOKEN=dop_v1_{fake_hex(64)}", f"oauth doo_v1_{fake_hex(64, 1)}"),
        near_misses=(f"dop_v1_{fake_hex(60)}",),
    ),
    bare_token(
        "databricks-token",
        "Databricks token",
        ("dapi", "dose"),
        f"{_HEX}{{32}}(?:-\\d)?",
        examples=(f"DATABRICKS_TOKEN=dapi{fake_hex(32)}", f"token dapi{fake_hex(32, 3)}-2"),
        near_misses=(f"dapi{fake_hex(30)}", "dapify the interface"),
    ),
    bare_token(
        "shopify-token",
        "Shopify access token or shared secret",
        ("shpat_", "shpca_", "shppa_", "shpss_"),
        "[a-fA-F0-9]{32}",
        examples=(f"SHOPIFY_TOKEN=shpat_{fake_hex(32)}", f"secret shpss_{fake_hex(32, 7)}"),
        near_misses=(f"shpat_{fake_hex(31)}",),
    ),
    bare_token(
        "mailgun-api-key",
        "Mailgun API key",
        ("key-", "pubkey-"),
        f"{_HEX}{{32}}",
        # "key-" + 32 hex is a common id shape: only with Mailgun named nearby.
        context=("mailgun",),
        context_window=80,
        examples=(f"MAILGUN_API_KEY=key-{fake_hex(32)}", f"mailgun: pubkey-{fake_hex(32, 1)}"),
        near_misses=(f"cache key-{fake_hex(32)}",),
    ),
    bare_token(
        "square-token",
        "Square access token or secret",
        ("sq0atp-", "sq0csp-", "EAAA"),
        rf"{_W}{{22,60}}",
        examples=(f"SQUARE_TOKEN=EAAA{fake_alnum(60)}", f"sq0csp-{fake_alnum(43, 9)}"),
        near_misses=("EAAAE is not a token", "sq0atp-short"),
    ),
    bare_token(
        "doppler-token",
        "Doppler token",
        ("dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."),
        "(?:[a-z0-9_-]{2,35}\\.)?[A-Za-z0-9]{40,44}",
        examples=(f"DOPPLER_TOKEN=dp.pt.{fake_alnum(43)}", f"dp.st.dev.{fake_alnum(43, 4)}"),
        near_misses=("dp.pt.example",),
    ),
    bare_token(
        "linear-api-key",
        "Linear API key",
        ("lin_api_", "lin_oauth_"),
        "[A-Za-z0-9]{40,64}",
        examples=(f"LINEAR_API_KEY=lin_api_{fake_alnum(40)}",),
        near_misses=("lin_api_key: see settings",),
    ),
    bare_token(
        "notion-token",
        "Notion integration token",
        ("secret_", "ntn_"),
        "(?:[A-Za-z0-9]{43}|[0-9]{11}[A-Za-z0-9]{35})",
        examples=(f"NOTION_TOKEN=secret_{fake_alnum(43)}", f"ntn_12345678901{fake_alnum(35)}"),
        near_misses=("secret_key_base: see vault", "secret_name=prod/db/password"),
    ),
    bare_token(
        "google-oauth-client-secret",
        "Google OAuth client secret",
        ("GOCSPX-",),
        "[A-Za-z0-9_-]{28}",
        examples=(f'"client_secret": "GOCSPX-{fake_alnum(28)}"',),
        near_misses=("GOCSPX-placeholder",),
    ),
    bare_token(
        "huggingface-token",
        "Hugging Face access token",
        ("hf_", "api_org_"),
        "[A-Za-z]{34}",
        examples=(f"HF_TOKEN=hf_{fake_alnum(60).translate(_DIGITS_AWAY)[:34]}",),
        near_misses=("hf_hub_download(repo_id)", "hf_transfer_enabled_for_large_uploads"),
    ),
    Rule(
        id="age-secret-key",
        description="age secret key",
        pattern=lazy(r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}(?![A-Z0-9])"),
        keywords=("AGE-SECRET-KEY-1",),
        validator=age_key_valid,  # bech32 checksum: 30 bits, no false alarm by chance
        examples=(f"# created: 2024\n{_age_example()}",),
        near_misses=("AGE-SECRET-KEY-1" + "Q" * 58, "AGE-SECRET-KEY-1 is the prefix"),
    ),
    Rule(
        id="putty-private-key",
        description="PuTTY private key",
        # The whole file, up to its MAC line; the body is possessive and bounded, so a
        # repeated header costs what it spans, once.
        pattern=lazy(
            r"PuTTY-User-Key-File-[1-3]: [\w@.-]{1,40}"
            r"(?:[^\x00P]|P(?!rivate-MAC: )){0,12000}+(?:Private-MAC: [0-9a-f]{40,64})?"
        ),
        keywords=("PuTTY-User-Key-File-",),
        examples=(
            "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: ci\nPublic-Lines: 2\n"
            f"{fake_base64(64)}\nPrivate-Lines: 1\n{fake_base64(44, 3)}\n"
            f"Private-MAC: {fake_hex(64)}",
        ),
        near_misses=("save it as a PuTTY-User-Key-File (.ppk)",),
    ),
    Rule(
        id="private-key-body",
        description="private key (base64 DER without its PEM header)",
        pattern=lazy(
            r"(?<![A-Za-z0-9+/])(?P<secret>M[IH][A-Za-z0-9+/]{62}"
            r"(?:(?!MII|MIG|MHc)[A-Za-z0-9+/=]|\s){0,12000}+)"
        ),
        keywords=("MII", "MIG", "MHc"),
        token=True,
        validator=der_private_key_valid,  # SEQUENCE { INTEGER 0|1, ... }: not a cert
        examples=(_RSA_DER, f"key body:\n{_PKCS8_DER[:64]}\n{_PKCS8_DER[64:]}"),
        near_misses=(_CERT_DER, _PUBLIC_DER),
    ),
    bare_token(
        "atlassian-api-token",
        "Atlassian API token",
        ("ATATT3", "ATCTT3", "ATOAT3"),
        "(?:(?G)[A-Za-z0-9_=-]){180,200}+",
        examples=(f"JIRA_API_TOKEN=ATATT3{fake_base64(186, urlsafe=True)}",),
    ),
    Rule(
        id="azure-storage-account-key",
        description="Azure storage account key",
        pattern=lazy(r"(?i:accountkey)[ \t]{0,3}=[ \t]{0,3}(?P<secret>[A-Za-z0-9+/]{86}==)"),
        keywords=("accountkey",),
        examples=(
            "DefaultEndpointsProtocol=https;AccountName=acme;"
            f"AccountKey={fake_base64(86)}==;EndpointSuffix=core.windows.net",
        ),
        near_misses=("AccountKey=<storage key>", "AccountKey=;AccountName=acme"),
    ),
    Rule(
        id="azure-ad-client-secret",
        description="Azure AD (Entra ID) client secret",
        # Three characters, a digit, "Q~", then 31 to 34 more: found at its fixed "Q~".
        pattern=lazy(r"(?<=[A-Za-z0-9_~.]{3}[0-9])Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])"),
        keywords=("Q~",),
        validator=None,
        examples=(f"AZURE_CLIENT_SECRET=abc8Q~{fake_alnum(34)}",),
        near_misses=("Q~ is not a secret", f"abcdQ~{fake_alnum(34)}"),
    ),
    bare_token(
        "cloudflare-origin-ca-key",
        "Cloudflare Origin CA key",
        ("v1.0-",),
        f"{_HEX}{{24}}-{_HEX}{{146}}",
        examples=(f"key v1.0-{fake_hex(24)}-{fake_hex(146, 1)}",),
    ),
    named_token(
        "cloudflare-api-key",
        "Cloudflare API token or global key",
        ("cloudflare", "cf_api"),
        f"(?:[A-Za-z0-9_-]{{40}}|{_HEX}{{37}})",
        examples=(f"CLOUDFLARE_API_TOKEN={fake_alnum(40)}", f"cf_api_key: {fake_hex(37)}"),
        near_misses=("cloudflare_zone: example.com",),
    ),
    named_token(
        "datadog-api-key",
        "Datadog API or application key",
        ("datadog", "dd_api", "dd_app"),
        f"(?:{_HEX}{{40}}|{_HEX}{{32}})",
        examples=(f"DD_API_KEY={fake_hex(32)}", f"datadog_app_key: {fake_hex(40, 3)}"),
        near_misses=("datadog_site: datadoghq.eu",),
    ),
    named_token(
        "discord-client-secret",
        "Discord bot token or client secret",
        ("discord",),
        # A bot token (base64 of the bot's id . timestamp . HMAC) or a client secret. Bare,
        # its shape would need a one-letter keyword (M, N, O): named only.
        r"(?:[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}|[A-Za-z0-9_=-]{32})",
        examples=(
            f"DISCORD_CLIENT_SECRET={fake_alnum(32)}",
            f"DISCORD_BOT_TOKEN=MT{fake_alnum(22)}.{fake_alnum(6, 1)}.{fake_alnum(38, 2)}",
        ),
    ),
    bare_token(
        "dropbox-token",
        "Dropbox access token",
        ("sl.",),
        "(?:u\\.)?[A-Za-z0-9_=-]{130,1400}",
        examples=(f"DROPBOX_TOKEN=sl.{fake_base64(140, urlsafe=True)}",),
        near_misses=("sl.example.com",),
    ),
    bare_token(
        "figma-token",
        "Figma personal access token",
        ("figd_",),
        "[A-Za-z0-9_-]{40}",
        examples=(f"FIGMA_TOKEN=figd_{fake_alnum(40)}",),
    ),
    bare_token(
        "grafana-token",
        "Grafana token",
        ("glc_", "glsa_", "eyJrIjoi"),
        "(?:(?G)[A-Za-z0-9+/_]){32,400}+={0,3}",
        examples=(f"GRAFANA_TOKEN=glsa_{fake_alnum(32)}_{fake_hex(8)}", f"glc_{fake_base64(80)}"),
    ),
    bare_token(
        "heroku-api-key",
        "Heroku API key",
        ("HRKU-AA",),
        "[0-9A-Za-z_-]{58}",
        examples=(f"HEROKU_API_KEY=HRKU-AA{fake_alnum(58)}",),
    ),
    named_token(
        "heroku-legacy-api-key",
        "Heroku API key (legacy UUID form)",
        ("heroku",),
        f"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}",
        examples=(
            f"HEROKU_API_KEY={fake_hex(8)}-{fake_hex(4, 1)}-{fake_hex(4, 2)}-"
            f"{fake_hex(4, 3)}-{fake_hex(12, 4)}",
        ),
        near_misses=("heroku_app: my-app",),
    ),
    named_token(
        "okta-api-token",
        "Okta API token",
        ("okta",),
        "00[A-Za-z0-9_-]{40}",
        examples=(f"OKTA_API_TOKEN=00{fake_alnum(40)}",),
    ),
    bare_token(
        "postman-api-key",
        "Postman API key",
        ("PMAK-",),
        "[0-9a-f]{24}-[0-9a-f]{34}",
        examples=(f"POSTMAN_API_KEY=PMAK-{fake_hex(24)}-{fake_hex(34, 1)}",),
    ),
    bare_token(
        "pulumi-token",
        "Pulumi access token",
        ("pul-",),
        f"{_HEX}{{40}}",
        examples=(f"PULUMI_ACCESS_TOKEN=pul-{fake_hex(40)}",),
    ),
    bare_token(
        "rubygems-api-key",
        "RubyGems API key",
        ("rubygems_",),
        f"{_HEX}{{48}}",
        examples=(f"GEM_HOST_API_KEY=rubygems_{fake_hex(48)}",),
    ),
    bare_token(
        "sentry-token",
        "Sentry token",
        ("sntrys_eyJ", "sntryu_", "sntryi_"),
        "(?:(?G)[A-Za-z0-9+/=_]){40,400}+",
        examples=(f"SENTRY_AUTH_TOKEN=sntryu_{fake_hex(64)}",),
    ),
    Rule(
        id="telegram-bot-token",
        description="Telegram bot token",
        # <bot id>:AA<33 characters>; the id is public, the part after the colon the secret.
        pattern=lazy(r"(?<=[0-9]{8}):(?P<secret>AA[A-Za-z0-9_-]{33})(?![A-Za-z0-9_-])"),
        keywords=(":AA",),
        validator=random_looking(3.0),
        examples=(f"TELEGRAM_BOT_TOKEN=123456789:AA{fake_alnum(33)}",),
        near_misses=("12:34:AA meeting", f"bot 123456789:AA{'a' * 33}"),
    ),
    Rule(
        id="terraform-cloud-token",
        description="Terraform Cloud / Enterprise API token",
        pattern=lazy(r"(?<=[A-Za-z0-9]{14}\.)atlasv1\.[A-Za-z0-9_=-]{60,70}(?![A-Za-z0-9_=-])"),
        keywords=("atlasv1.",),
        validator=random_looking(3.0),
        examples=(f"TFE_TOKEN={fake_alnum(14)}.atlasv1.{fake_alnum(67, 1)}",),
        near_misses=("atlasv1.example",),
    ),
    Rule(
        id="gcp-service-account-key",
        description="Google Cloud service-account key (its private_key_id)",
        pattern=lazy(r"private_key_id\\?\"[ \t]{0,3}:[ \t]{0,3}\\?\"(?P<secret>[0-9a-f]{40})\\?\""),
        keywords=("private_key_id",),
        examples=(f'{{"type": "service_account", "private_key_id": "{fake_hex(40)}"}}',),
        near_misses=('"private_key_id": "<id>"',),
    ),
    bare_token(
        "alibaba-access-key-id",
        "Alibaba Cloud access key id",
        ("LTAI",),
        "[A-Za-z0-9]{20}",
        examples=(f"ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI{fake_alnum(20)}",),
    ),
    named_token(
        "alibaba-secret-key",
        "Alibaba Cloud access key secret",
        ("alibaba", "aliyun"),
        "[A-Za-z0-9]{30}",
        examples=(f"ALIBABA_CLOUD_ACCESS_KEY_SECRET={fake_alnum(30)}",),
    ),
    bare_token(
        "adobe-client-secret",
        "Adobe client secret",
        ("p8e-",),
        "[A-Za-z0-9]{32}",
        examples=(f"ADOBE_CLIENT_SECRET=p8e-{fake_alnum(32)}",),
    ),
    named_token(
        "asana-token",
        "Asana token or client secret",
        ("asana",),
        f"(?:[0-9]/[0-9]{{16}}:{_HEX}{{32}}|[A-Za-z0-9]{{32}})",
        examples=(f"ASANA_TOKEN=1/1234567890123456:{fake_hex(32)}",),
    ),
    named_token(
        "confluent-api-key",
        "Confluent API key or secret",
        ("confluent", "ccloud"),
        "(?:[A-Za-z0-9+/]{64}|[A-Z0-9]{16})",
        examples=(f"CONFLUENT_API_SECRET={fake_base64(64)}",),
    ),
    bare_token(
        "contentful-token",
        "Contentful personal access token",
        ("CFPAT-",),
        "[A-Za-z0-9_-]{43}",
        examples=(f"CONTENTFUL_TOKEN=CFPAT-{fake_alnum(43)}",),
    ),
    named_token(
        "contentful-delivery-token",
        "Contentful delivery or preview token",
        ("contentful",),
        "[A-Za-z0-9_=-]{43}",
        examples=(f"CONTENTFUL_DELIVERY_TOKEN={fake_alnum(43)}",),
    ),
    bare_token(
        "flutterwave-key",
        "Flutterwave secret or encryption key",
        ("FLWSECK_TEST-", "FLWSECK-", "FLWSECK_TEST", "FLWSECK"),
        "(?:[a-h0-9]{32}-X|[a-h0-9]{12})",
        examples=(f"FLW_SECRET=FLWSECK_TEST-{fake_hex(32)}-X",),
    ),
    bare_token(
        "frameio-token",
        "Frame.io API token",
        ("fio-u-",),
        "[A-Za-z0-9_=-]{64}",
        examples=(f"FRAMEIO_TOKEN=fio-u-{fake_alnum(64)}",),
    ),
    named_token(
        "gocardless-token",
        "GoCardless access token",
        ("gocardless",),
        "(?:live|sandbox)_[A-Za-z0-9_=-]{40}",
        examples=(f"GOCARDLESS_TOKEN=live_{fake_alnum(40)}",),
    ),
    named_token(
        "intercom-token",
        "Intercom access token",
        ("intercom",),
        "[A-Za-z0-9_=-]{60}",
        examples=(f"INTERCOM_ACCESS_TOKEN={fake_alnum(60)}",),
    ),
    bare_token(
        "dynatrace-token",
        "Dynatrace API token",
        ("dt0c01.", "dt0s01.", "dt0s16."),
        "[A-Z0-9]{24}\\.[A-Z0-9]{64}",
        examples=(f"DT_API_TOKEN=dt0c01.{fake_hex(24, upper=True)}.{fake_hex(64, 1, True)}",),
    ),
    bare_token(
        "newrelic-key",
        "New Relic API key",
        ("NRAK-", "NRII-", "NRJS-", "NRRA-", "NRAA-"),
        "[A-Z0-9]{27}",
        examples=(f"NEW_RELIC_API_KEY=NRAK-{fake_hex(27, upper=True)}",),
    ),
    bare_token(
        "brevo-api-key",
        "Brevo (Sendinblue) API key",
        ("xkeysib-", "xsmtpsib-"),
        f"{_HEX}{{64}}-[A-Za-z0-9]{{16}}",
        examples=(f"BREVO_API_KEY=xkeysib-{fake_hex(64)}-{fake_alnum(16)}",),
    ),
    bare_token(
        "planetscale-token",
        "PlanetScale token or password",
        ("pscale_tkn_", "pscale_pw_", "pscale_oauth_"),
        "[A-Za-z0-9_=.-]{32,64}",
        examples=(f"PLANETSCALE_TOKEN=pscale_tkn_{fake_alnum(43)}",),
        token=False,
    ),
    bare_token(
        "onepassword-service-token",
        "1Password service-account token",
        ("ops_eyJ",),
        "[A-Za-z0-9+/]{250,1000}={0,3}",
        examples=(f"OP_SERVICE_ACCOUNT_TOKEN=ops_eyJ{fake_base64(260)}",),
    ),
    bare_token(
        "mapbox-secret-token",
        "Mapbox secret token",
        ("sk.eyJ",),
        "[A-Za-z0-9_-]{50,300}\\.[A-Za-z0-9_-]{20,30}",
        examples=(f"MAPBOX_TOKEN=sk.eyJ{fake_alnum(60)}.{fake_alnum(22, 1)}",),
    ),
    bare_token(
        "shippo-token",
        "Shippo API token",
        ("shippo_live_", "shippo_test_"),
        f"{_HEX}{{40}}",
        examples=(f"SHIPPO_TOKEN=shippo_live_{fake_hex(40)}",),
    ),
    bare_token(
        "easypost-api-key",
        "EasyPost API key",
        ("EZAK", "EZTK"),
        "[A-Za-z0-9]{54}",
        examples=(f"EASYPOST_API_KEY=EZAK{fake_alnum(54)}",),
    ),
    bare_token(
        "readme-api-key",
        "ReadMe API key",
        ("rdme_",),
        "[a-z0-9]{70}",
        examples=(f"README_API_KEY=rdme_{fake_hex(70)}",),
    ),
    bare_token(
        "airtable-token",
        "Airtable personal access token",
        ("pat",),
        f"[A-Za-z0-9]{{14}}\\.{_HEX}{{64}}",
        examples=(f"AIRTABLE_TOKEN=pat{fake_alnum(14)}.{fake_hex(64)}",),
        token=False,
    ),
    bare_token(
        "sourcegraph-token",
        "Sourcegraph access token",
        ("sgp_",),
        f"(?:{_HEX}{{16}}_)?{_HEX}{{40}}",
        examples=(f"SRC_ACCESS_TOKEN=sgp_{fake_hex(16)}_{fake_hex(40, 1)}",),
    ),
    bare_token(
        "perplexity-api-key",
        "Perplexity API key",
        ("pplx-",),
        "[A-Za-z0-9]{48}",
        examples=(f"PPLX_API_KEY=pplx-{fake_alnum(48)}",),
    ),
    bare_token(
        "prefect-api-key",
        "Prefect API key",
        ("pnu_",),
        "[A-Za-z0-9]{36}",
        examples=(f"PREFECT_API_KEY=pnu_{fake_alnum(36)}",),
    ),
    bare_token(
        "flyio-token",
        "Fly.io access token",
        ("fo1_", "fm1r_", "fm2_"),
        "(?:(?G)[A-Za-z0-9+/=_-]){43,700}+",
        examples=(f"FLY_API_TOKEN=fo1_{fake_alnum(43)}",),
    ),
    bare_token(
        "docker-hub-token",
        "Docker Hub personal access token",
        ("dckr_pat_", "dckr_oat_"),
        "[A-Za-z0-9_-]{27}",
        examples=(f"DOCKER_TOKEN=dckr_pat_{fake_alnum(27)}",),
    ),
    bare_token(
        "stripe-webhook-secret",
        "Stripe webhook signing secret",
        ("whsec_",),
        "[A-Za-z0-9+/]{32,64}",
        examples=(f"STRIPE_WEBHOOK_SECRET=whsec_{fake_alnum(32)}",),
    ),
    bare_token(
        "aws-bedrock-api-key",
        "Amazon Bedrock API key",
        ("ABSK",),
        "(?:(?G)[A-Za-z0-9+/]){109,269}+={0,2}",
        examples=(f"AWS_BEARER_TOKEN_BEDROCK=ABSK{fake_base64(120)}",),
    ),
)
