print("routeledger")
