"""Tiny random-weight builds of the multilingual text models, in their published layouts.

* ``tiny-multilingual-clip``: open_clip's ``xlm-roberta-base-ViT-B-32`` shape (a ViT image
  tower and a Hugging Face XLM-RoBERTa text tower), at toy sizes;
* ``tiny-multilingual-minilm``: a sentence-transformers folder shaped like
  paraphrase-multilingual-MiniLM-L12-v2 (a BERT encoder with an XLM-R tokenizer, mean
  pooling).

The real XLM-R vocabulary is not on an offline machine, so both share a small unigram
(sentencepiece-style) tokenizer built here from a few sentences in eight languages, saved as
the ``XLMRobertaTokenizer`` files the real repos hold. Output is meaningless by design.
"""

from __future__ import annotations

import math
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import transformers as tf

# Training text for the toy tokenizer: the same scenes in several scripts.
_CORPUS = [
    "A red dress hangs on a hanger in front of a white wall.",
    "Two people sit at a table by the window of a hotel room with a sea view.",
    "Красное платье висит на вешалке перед белой стеной.",
    "Два человека сидят за столом у окна гостиничного номера с видом на море.",
    "Ein rotes Kleid hängt auf einem Bügel vor einer weißen Wand.",
    "Zwei Menschen sitzen am Tisch am Fenster eines Hotelzimmers mit Meerblick.",
    "Une robe rouge est suspendue à un cintre devant un mur blanc.",
    "Un vestido rojo cuelga de una percha delante de una pared blanca.",
    "红色连衣裙挂在白墙前的衣架上。两个人坐在海景酒店房间的窗边桌旁。",
    "白い壁の前のハンガーに赤いドレスが掛かっている。",
    "빨간 드레스가 흰 벽 앞 옷걸이에 걸려 있다.",
]
_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
_CONTEXT = 77


def tokenizer() -> Any:
    """XLM-R-style unigram tokenizer over the corpus: specials, then every word and every
    character (so any text in these scripts tokenizes), scored by frequency. Built directly,
    not trained, so the same bytes come out every time (unigram training is not
    deterministic across runs)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers

    counts: Counter[str] = Counter()
    for sentence in _CORPUS:
        for word in sentence.split():
            counts["▁" + word] += 1
            counts.update(word)
    counts["▁"] += len(_CORPUS)
    total = sum(counts.values())
    pieces = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    vocab = [(s, 0.0) for s in _SPECIALS]
    vocab += [(piece, round(math.log(n / total), 4)) for piece, n in pieces]
    unigram = Tokenizer(models.Unigram(vocab, unk_id=_SPECIALS.index("<unk>")))
    unigram.normalizer = normalizers.NFKC()
    unigram.pre_tokenizer = pre_tokenizers.Metaspace()
    unigram.decoder = decoders.Metaspace()
    return tf.XLMRobertaTokenizer(
        tokenizer_object=unigram,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=_CONTEXT,
    )


def build_multilingual_clip(out: Path) -> None:
    """open_clip CustomTextCLIP with an XLM-RoBERTa text tower; its config names the tower
    ``xlm-roberta-base`` as the published one does, and the loader points that at ``out``."""
    import open_clip

    from picsift.models.open_clip_folder import save_open_clip
    from picsift.models.tiny import CLIP_MEAN, CLIP_STD

    words = tokenizer()
    words.save_pretrained(out)
    tf.XLMRobertaConfig(
        vocab_size=len(words),
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=128,
        max_position_embeddings=_CONTEXT + 4,
        pad_token_id=words.pad_token_id,
        bos_token_id=words.bos_token_id,
        eos_token_id=words.eos_token_id,
    ).save_pretrained(out)
    published = {"hf_model_name": "xlm-roberta-base", "hf_tokenizer_name": "xlm-roberta-base"}
    text_cfg = {**published, "hf_pooler_type": "mean_pooler", "context_length": _CONTEXT}
    vision_cfg = dict(image_size=224, layers=2, width=64, patch_size=32, head_width=32)
    model_cfg: dict[str, Any] = {"embed_dim": 64, "vision_cfg": vision_cfg, "text_cfg": text_cfg}
    local = {"hf_model_name": str(out), "hf_tokenizer_name": str(out)}
    build_cfg = {**model_cfg, "text_cfg": {**text_cfg, **local, "hf_model_pretrained": False}}
    model = open_clip.CustomTextCLIP(**build_cfg)
    save_open_clip(out, model, model_cfg, {"mean": CLIP_MEAN, "std": CLIP_STD, "size": 224})


def build_multilingual_minilm(out: Path) -> None:
    """sentence-transformers folder: a BERT encoder over the XLM-R tokenizer, mean pooling."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    words = tokenizer()
    encoder = out / "encoder"
    config = tf.BertConfig(
        vocab_size=len(words),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        pad_token_id=words.pad_token_id,
    )
    tf.BertModel(config).save_pretrained(encoder)
    words.save_pretrained(encoder)
    word = Transformer(str(encoder), max_seq_length=128)
    pool = Pooling(word.get_embedding_dimension(), pooling_mode="mean")
    SentenceTransformer(modules=[word, pool], device="cpu").save(str(out))
    shutil.rmtree(encoder)  # saved again into ``out``, in the published layout
