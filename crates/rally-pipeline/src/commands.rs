//! Discord-bot command logic over the state store (owned by the bot work).
