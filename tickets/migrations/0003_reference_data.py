"""Teams, assets, networks and categories every exchange needs on day one (admins edit them)."""

from django.db import migrations

TEAMS = [
    ("security", "Account Security"),
    ("funding", "Deposits and Withdrawals"),
    ("trading", "Trading"),
    ("verification", "Identity Verification"),
    ("general", "General Support"),
]

ASSETS = [
    ("BTC", "Bitcoin"),
    ("ETH", "Ether"),
    ("USDT", "Tether USD"),
    ("USDC", "USD Coin"),
    ("BNB", "BNB"),
    ("TRX", "TRON"),
    ("SOL", "Solana"),
    ("XRP", "XRP"),
    ("LTC", "Litecoin"),
    ("DOGE", "Dogecoin"),
]

# code, name, family, assets, explorer for a transaction, explorer for an address
NETWORKS = [
    ("BTC", "Bitcoin", "bitcoin", ["BTC"],
     "https://mempool.space/tx/{txid}", "https://mempool.space/address/{address}"),
    ("ERC20", "Ethereum (ERC20)", "evm", ["ETH", "USDT", "USDC"],
     "https://etherscan.io/tx/{txid}", "https://etherscan.io/address/{address}"),
    ("BEP20", "BNB Smart Chain (BEP20)", "evm", ["BNB", "USDT", "USDC"],
     "https://bscscan.com/tx/{txid}", "https://bscscan.com/address/{address}"),
    ("ARBITRUM", "Arbitrum One", "evm", ["ETH", "USDT", "USDC"],
     "https://arbiscan.io/tx/{txid}", "https://arbiscan.io/address/{address}"),
    ("POLYGON", "Polygon PoS", "evm", ["USDT", "USDC"],
     "https://polygonscan.com/tx/{txid}", "https://polygonscan.com/address/{address}"),
    ("TRC20", "TRON (TRC20)", "tron", ["TRX", "USDT"],
     "https://tronscan.org/#/transaction/{txid}", "https://tronscan.org/#/address/{address}"),
    ("SOL", "Solana", "solana", ["SOL", "USDT", "USDC"],
     "https://solscan.io/tx/{txid}", "https://solscan.io/account/{address}"),
    ("XRP", "XRP Ledger", "xrp", ["XRP"],
     "https://xrpscan.com/tx/{txid}", "https://xrpscan.com/account/{address}"),
    ("LTC", "Litecoin", "litecoin", ["LTC"],
     "https://blockchair.com/litecoin/transaction/{txid}",
     "https://blockchair.com/litecoin/address/{address}"),
    ("DOGE", "Dogecoin", "dogecoin", ["DOGE"],
     "https://blockchair.com/dogecoin/transaction/{txid}",
     "https://blockchair.com/dogecoin/address/{address}"),
]

TRADE = ["order_id", "trading_pair", "occurred_at"]

# code, English, Chinese, required fields, optional fields, default priority, team
CATEGORIES = [
    ("compromised-account", "Compromised account", "账户被盗",
     "Someone else got into your account, or funds left it without you.",
     "他人登录了您的账户，或资产在您不知情的情况下被转出。",
     ["occurred_at"], ["asset", "network", "amount", "txid", "wallet_address", "device"],
     "urgent", "security"),
    ("login-password", "Login and password", "登录与密码",
     "You cannot sign in, reset your password or pass two-factor sign-in.",
     "无法登录、重置密码或通过双重验证。",
     ["device"], ["occurred_at"], "normal", "security"),
    ("account-locked", "Account locked or frozen", "账户被锁定或冻结",
     "Your account or some of its functions were locked or frozen.",
     "您的账户或部分功能被锁定或冻结。",
     ["occurred_at"], ["device"], "high", "security"),
    ("kyc", "Identity verification (KYC)", "身份认证（KYC）",
     "Your identity verification is stuck, was refused or needs a correction.",
     "身份认证审核停滞、被拒绝或需要更正。",
     [], ["occurred_at", "device"], "normal", "verification"),
    ("deposit-not-credited", "Deposit not credited", "充值未到账",
     "A deposit reached the chain but not your exchange balance.",
     "充值已在链上确认，但未计入交易所余额。",
     ["occurred_at", "asset", "network", "amount", "txid"], ["wallet_address"],
     "high", "funding"),
    ("withdrawal-not-received", "Withdrawal not received", "提现未到账",
     "A withdrawal left your balance but never arrived at its destination.",
     "提现已从余额扣除，但未到达目标地址。",
     ["occurred_at", "asset", "network", "amount", "wallet_address"], ["txid", "order_id"],
     "high", "funding"),
    ("spot-order", "Spot order problem", "现货订单问题",
     "A spot order filled at the wrong price, did not fill, or cannot be cancelled.",
     "现货订单成交价格异常、未成交或无法撤单。",
     TRADE, ["amount", "device"], "normal", "trading"),
    ("fees", "Fees", "手续费",
     "A fee was charged that you did not expect or that looks wrong.",
     "被收取了意外或看似错误的手续费。",
     ["occurred_at"], ["order_id", "txid", "asset", "network", "amount", "trading_pair"],
     "low", "general"),
    ("margin-liquidation", "Margin liquidation", "杠杆强平",
     "A margin position was liquidated and you dispute how or when.",
     "杠杆仓位被强平，您对强平方式或时间有异议。",
     TRADE, ["amount", "asset"], "high", "trading"),
    ("futures", "Futures (open/close, forced liquidation, settlement)",
     "合约（开平仓、强制平仓、结算）",
     "A futures position did not open or close as ordered, was force-liquidated, or settled wrongly.",
     "合约仓位未按指令开平、被强制平仓或结算有误。",
     TRADE, ["amount", "asset"], "high", "trading"),
    ("tp-sl", "Take-profit/stop-loss not executed", "止盈止损未执行",
     "A take-profit or stop-loss order did not trigger at its price.",
     "止盈或止损委托在触发价未执行。",
     TRADE, ["amount", "device"], "high", "trading"),
    ("api", "API", "API 接口",
     "The trading API returned errors or behaved differently from its documentation.",
     "交易 API 报错或行为与文档不符。",
     ["occurred_at"], ["order_id", "trading_pair", "device"], "normal", "trading"),
    ("other", "Other", "其他",
     "Anything else about the exchange's service.",
     "与交易所服务相关的其他问题。",
     [], ["occurred_at", "order_id", "txid", "asset", "network", "amount"], "normal", "general"),
]


def load(apps, schema_editor):
    Team = apps.get_model("accounts", "Team")
    Asset = apps.get_model("tickets", "Asset")
    Network = apps.get_model("tickets", "Network")
    Category = apps.get_model("tickets", "Category")

    teams = {}
    for code, name in TEAMS:
        teams[code], _ = Team.objects.get_or_create(code=code, defaults={"name": name})
    assets = {}
    for code, name in ASSETS:
        assets[code], _ = Asset.objects.get_or_create(code=code, defaults={"name": name})
    for code, name, family, asset_codes, tx_url, address_url in NETWORKS:
        network, created = Network.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "family": family,
                "explorer_tx_url": tx_url,
                "explorer_address_url": address_url,
            },
        )
        if created:
            network.assets.set([assets[a] for a in asset_codes])
    for order, row in enumerate(CATEGORIES):
        code, name_en, name_zh, desc_en, desc_zh, required, optional, priority, team = row
        Category.objects.get_or_create(
            code=code,
            defaults={
                "name_en": name_en,
                "name_zh": name_zh,
                "description_en": desc_en,
                "description_zh": desc_zh,
                "required_fields": required,
                "optional_fields": optional,
                "default_priority": priority,
                "team": teams[team],
                "sort_order": (order + 1) * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_append_only_events"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
