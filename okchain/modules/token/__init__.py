"""Token: issue, mint, burn and transfer ownership of 18-decimal tokens; balances and supply live in bank."""
