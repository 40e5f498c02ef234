"""Plain-torch BertForSequenceClassification and BertForMaskedLM with the module names of
transformers' modeling_bert (so state_dict keys are HF's), eager attention,
dropout where HF has it.  Test/bench reference only (transformers is not
installed here); written from the structure of modeling_bert, not copied."""
import math
import torch
from torch import nn

class Embeddings(nn.Module):
    def __init__(s, c):
        super().__init__()
        s.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"], padding_idx=c["pad_token_id"])
        s.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        s.token_type_embeddings = nn.Embedding(c["type_vocab_size"], c["hidden_size"])
        s.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        s.dropout = nn.Dropout(c["hidden_dropout_prob"])
    def forward(s, ids, tt):
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        e = s.word_embeddings(ids) + s.token_type_embeddings(tt)
        e = e + s.position_embeddings(pos)
        return s.dropout(s.LayerNorm(e))

class SelfAttention(nn.Module):
    def __init__(s, c):
        super().__init__()
        h = c["hidden_size"]; s.H = c["num_attention_heads"]; s.D = h // s.H
        s.query, s.key, s.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        s.dropout = nn.Dropout(c["attention_probs_dropout_prob"])
    def split(s, x):
        B, T, _ = x.shape
        return x.view(B, T, s.H, s.D).permute(0, 2, 1, 3)
    def forward(s, x, mask):
        q, k, v = s.split(s.query(x)), s.split(s.key(x)), s.split(s.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(s.D) + mask
        p = s.dropout(torch.softmax(scores, dim=-1))
        ctx = (p @ v).permute(0, 2, 1, 3).contiguous()
        return ctx.view(x.shape)

class AddNorm(nn.Module):
    def __init__(s, c, fin):
        super().__init__()
        s.dense = nn.Linear(fin, c["hidden_size"])
        s.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        s.dropout = nn.Dropout(c["hidden_dropout_prob"])
    def forward(s, x, res):
        return s.LayerNorm(s.dropout(s.dense(x)) + res)

class Attention(nn.Module):
    def __init__(s, c):
        super().__init__()
        s.self = SelfAttention(c); s.output = AddNorm(c, c["hidden_size"])
    def forward(s, x, mask): return s.output(s.self(x, mask), x)

class Intermediate(nn.Module):
    def __init__(s, c):
        super().__init__()
        s.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])
    def forward(s, x): return nn.functional.gelu(s.dense(x))      # exact erf

class Layer(nn.Module):
    def __init__(s, c):
        super().__init__()
        s.attention = Attention(c); s.intermediate = Intermediate(c)
        s.output = AddNorm(c, c["intermediate_size"])
    def forward(s, x, mask):
        a = s.attention(x, mask)
        return s.output(s.intermediate(a), a)

class Encoder(nn.Module):
    def __init__(s, c):
        super().__init__()
        s.layer = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])

class Pooler(nn.Module):
    def __init__(s, c):
        super().__init__()
        s.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
    def forward(s, x): return torch.tanh(s.dense(x[:, 0]))

class BertModel(nn.Module):
    def __init__(s, c, add_pooling_layer=True):
        super().__init__()
        s.embeddings = Embeddings(c); s.encoder = Encoder(c)
        if add_pooling_layer: s.pooler = Pooler(c)
    def sequence(s, ids, am, tt):
        dtype = s.embeddings.word_embeddings.weight.dtype
        mask = (1.0 - am[:, None, None, :].to(dtype)) * torch.finfo(dtype).min
        x = s.embeddings(ids, tt)
        for l in s.encoder.layer: x = l(x, mask)
        return x
    def forward(s, ids, am, tt):
        return s.pooler(s.sequence(ids, am, tt))

class BertForSequenceClassification(nn.Module):
    """With c["ft_tasks"] ([{"name", "num_labels"}, ...]): one head per task,
    classifier.<name>.weight/bias (ft's multi-task layout), chosen by task=."""
    def __init__(s, c):
        super().__init__()
        s.num_labels = c["num_labels"]; s.problem = c.get("problem_type")
        s.bert = BertModel(c)
        cd = c.get("classifier_dropout")
        s.dropout = nn.Dropout(c["hidden_dropout_prob"] if cd is None else cd)
        s.tasks = [t["name"] for t in c.get("ft_tasks") or []]
        if s.tasks:
            s.classifier = nn.ModuleDict({t["name"]: nn.Linear(c["hidden_size"], t["num_labels"])
                                          for t in c["ft_tasks"]})
        else:
            s.classifier = nn.Linear(c["hidden_size"], c["num_labels"])
    def forward(s, ids, am, tt, labels, task=0):
        head = s.classifier[s.tasks[task]] if s.tasks else s.classifier
        logits = head(s.dropout(s.bert(ids, am, tt)))
        if s.problem == "regression":
            loss = nn.functional.mse_loss(logits.squeeze(), labels.squeeze())
        else:
            loss = nn.functional.cross_entropy(logits.view(-1, logits.shape[-1]), labels.view(-1))
        return logits, loss

class PredictionHeadTransform(nn.Module):
    def __init__(s, c):
        super().__init__()
        s.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        s.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
    def forward(s, x): return s.LayerNorm(nn.functional.gelu(s.dense(x)))

class LMPredictionHead(nn.Module):
    """The decoder is the word embedding (tied); only its bias is a new tensor."""
    def __init__(s, c):
        super().__init__()
        s.bias = nn.Parameter(torch.zeros(c["vocab_size"]))
        s.transform = PredictionHeadTransform(c)

class OnlyMLMHead(nn.Module):
    def __init__(s, c):
        super().__init__()
        s.predictions = LMPredictionHead(c)

class BertForMaskedLM(nn.Module):
    def __init__(s, c):
        super().__init__()
        s.bert = BertModel(c, add_pooling_layer=False)
        s.cls = OnlyMLMHead(c)
    def forward(s, ids, am, tt, labels, task=0):
        h = s.cls.predictions.transform(s.bert.sequence(ids, am, tt))
        logits = h @ s.bert.embeddings.word_embeddings.weight.t() + s.cls.predictions.bias
        loss = nn.functional.cross_entropy(logits.view(-1, logits.shape[-1]), labels.view(-1))
        return logits, loss
