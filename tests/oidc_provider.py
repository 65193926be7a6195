"""A stand-in OpenID Connect provider for the console's single sign-on tests (no real provider runs here): discovery,
an authorization endpoint that signs in whoever the test says, the token endpoint (client secret, PKCE S256 checked)
and its published keys. ID tokens are RS256 JWTs made with joserfc; ``misbehave`` makes it send a bad one."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import uvicorn
from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse
from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID, CLIENT_SECRET = "gridlink-console", "console-secret-for-tests"


@dataclass
class StandInProvider:
    port: int
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    person: dict = field(default_factory=dict)  # the claims of whoever signs in next
    misbehave: str | None = None  # "audience" | "nonce" | "signature"
    codes: dict = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        async def discovery():
            return {"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                    "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                    "response_types_supported": ["code"], "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"]}

        @app.get("/jwks")
        async def jwks():
            return {"keys": [self.key.as_dict(private=False)]}

        @app.get("/authorize")
        async def authorize(request: Request):
            q = request.query_params
            if q.get("client_id") != CLIENT_ID or q.get("code_challenge_method") != "S256":
                raise HTTPException(400, "bad request")
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"nonce": q["nonce"], "challenge": q["code_challenge"], "claims": dict(self.person),
                                "redirect_uri": q["redirect_uri"]}
            return RedirectResponse(f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}", 302)

        @app.post("/token")
        async def token(request: Request, grant_type: str = Form(), code: str = Form(),
                        code_verifier: str = Form(), redirect_uri: str = Form(None)):
            secret = _client_secret(request, await request.form())
            granted = self.codes.pop(code, None)
            verifier_hash = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=")
            if secret != CLIENT_SECRET or granted is None or verifier_hash.decode() != granted["challenge"]:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            now = int(time.time())
            claims = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                      "nonce": granted["nonce"], **granted["claims"]}
            if self.misbehave == "audience":
                claims["aud"] = "someone-else"
            if self.misbehave == "nonce":
                claims["nonce"] = "not-the-one"
            key = RSAKey.generate_key(2048, parameters={"kid": "k1"}) if self.misbehave == "signature" else self.key
            id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
            return {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                    "id_token": id_token}

        return app

    def serve(self) -> uvicorn.Server:
        # log_config=None: this process's logging (the tests') is left as it is, not reconfigured by uvicorn.
        server = uvicorn.Server(uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_config=None,
                                               log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        return server


def _client_secret(request: Request, form) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        _, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        return secret
    return form.get("client_secret")
