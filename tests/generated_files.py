"""Generated-style files, written the way generators write them: Automatic1111's
``parameters`` PNG chunk, ComfyUI's API graph, and XMP (with an AI source type) in a JPEG and
a WebP, made with exiftool where Pillow cannot write the field."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from PIL import Image, PngImagePlugin

A1111_PROMPT = "a red dress on a mannequin, (studio lighting:1.2), a golden retriever"
A1111 = (
    f"{A1111_PROMPT}\nNegative prompt: blurry, lowres\n"
    "Steps: 28, Sampler: DPM++ 2M Karras, CFG scale: 6.5, Seed: 1234, Size: 512x512, "
    "Model: sdxl_base, Version: v1.9.4"
)
COMFY_PROMPT = "a blue hat on a white table"
COMFY = {
    "3": {"class_type": "KSampler", "inputs": {"positive": ["6", 0], "negative": ["7", 0]}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": COMFY_PROMPT}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "watermark"}},
}
XMP_PROMPT = "a green jacket hanging on a door"
AI_SOURCE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def a1111_png(source: Image.Image, path: Path) -> Path:
    meta = PngImagePlugin.PngInfo()
    meta.add_text("parameters", A1111)
    source.convert("RGB").save(path, "PNG", pnginfo=meta)
    return path


def comfy_png(source: Image.Image, path: Path) -> Path:
    meta = PngImagePlugin.PngInfo()
    meta.add_text("prompt", json.dumps(COMFY))
    meta.add_text("workflow", json.dumps({"nodes": []}))
    source.convert("RGB").save(path, "PNG", pnginfo=meta)
    return path


def xmp_file(source: Image.Image, path: Path, fmt: str) -> Path:
    """A JPEG or WebP with XMP that says a generator made it, plus EXIF the test can check
    survives (``Artist``, ``Copyright``)."""
    exif = Image.Exif()
    exif[0x013B] = "Ada Lovelace"  # Artist
    exif[0x8298] = "CC0"  # Copyright
    source.convert("RGB").save(path, fmt, exif=exif.tobytes())
    exiftool = shutil.which("exiftool")
    assert exiftool, "xmp_file needs exiftool"
    subprocess.run(
        [
            exiftool,
            "-q",
            "-overwrite_original",
            f"-XMP-dc:Description={XMP_PROMPT}",
            "-XMP-xmp:CreatorTool=Adobe Firefly",
            f"-XMP-iptcExt:DigitalSourceType={AI_SOURCE}",
            "-XMP-dc:Subject=existing keyword",
            str(path),
        ],
        check=True,
    )
    return path


def write_all(source: Image.Image, folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "a1111": a1111_png(source, folder / "a1111.png"),
        "comfy": comfy_png(source, folder / "comfy.png"),
        "jpeg": xmp_file(source, folder / "firefly.jpg", "JPEG"),
        "webp": xmp_file(source, folder / "firefly.webp", "WEBP"),
    }


C2PA_GENERATOR = "Test Generator"


def _test_chain() -> tuple[bytes, bytes]:
    """A throwaway ES256 CA and signer (PEM chain, PKCS#8 key): C2PA refuses self-signed
    signing certificates, and a test must never ship a private key."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(common: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, common),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "picsift tests"),
            ]
        )

    def usage(*, sign_certs: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=True,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=sign_certs,
            crl_sign=sign_certs,
            encipher_only=False,
            decipher_only=False,
        )

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())

    def certificate(subject: str, public: object, ca: bool) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(name("picsift test CA"))
            .public_key(public)  # type: ignore[arg-type]
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(usage(sign_certs=ca), critical=True)
        )

    root = certificate("picsift test CA", ca_key.public_key(), True).sign(ca_key, hashes.SHA256())
    leaf = (
        certificate("picsift test signer", key.public_key(), False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    chain = leaf.public_bytes(pem) + root.public_bytes(pem)
    private = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return chain, private


def c2pa_jpeg(source: Image.Image, path: Path) -> Path:
    """A JPEG signed in the test with a C2PA manifest: created by a generator, with the
    ``trainedAlgorithmicMedia`` source type."""
    import io

    import c2pa

    chain, private = _test_chain()
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(b"es256", chain, private, None))
    manifest = {
        "claim_generator_info": [{"name": C2PA_GENERATOR, "version": "1.0"}],
        "title": path.name,
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": AI_SOURCE,
                            "softwareAgent": {"name": C2PA_GENERATOR},
                        }
                    ]
                },
            }
        ],
    }
    plain = io.BytesIO()
    source.convert("RGB").save(plain, "JPEG")
    plain.seek(0)
    signed = io.BytesIO()
    with c2pa.Builder(manifest) as builder:
        builder.sign(signer, "image/jpeg", plain, signed)
    path.write_bytes(signed.getvalue())
    return path
