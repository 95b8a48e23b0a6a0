Seq	Host	Starttime	JobRuntime	Send	Receive	Exitval	Signal	Command
